#include "federation/phi_accrual.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edge::federation {
namespace {

constexpr int64_t kSecond = 1'000'000;

TEST(PhiAccrual, ZeroBeforeAnyHeartbeatAndRightAfterOne) {
  PhiAccrual d(2 * kSecond, 2 * kSecond);
  EXPECT_EQ(d.Phi(123), 0);
  d.Heartbeat(10 * kSecond);
  EXPECT_EQ(d.Phi(10 * kSecond), 0);
}

TEST(PhiAccrual, ExponentialModelByHand) {
  // Window: the 2 s seed, then intervals of 1 s, 1 s and 0.5 s: mean = 4.5 s / 4 = 1.125 s.
  PhiAccrual d(2 * kSecond, 2 * kSecond);
  d.Heartbeat(0 + 1);  // t0 = 1 us (first heartbeat: the seed interval goes in)
  d.Heartbeat(1 + kSecond);
  d.Heartbeat(1 + 2 * kSecond);
  d.Heartbeat(1 + 2 * kSecond + kSecond / 2);
  EXPECT_DOUBLE_EQ(d.mean_us(), 1'125'000.0);
  const int64_t last = 1 + 2 * kSecond + kSecond / 2;
  // phi(t) = t / (mean * ln 10): at t = mean * ln 10 (2.590408 s) phi is exactly 1, i.e. a
  // 10 % chance that the heartbeat is merely late; at 5.180816 s, 2 (1 %).
  EXPECT_NEAR(d.Phi(last + 2'590'408), 1.0, 1e-6);
  EXPECT_NEAR(d.Phi(last + 5'180'816), 2.0, 1e-6);
  // 3 s after: 3 / (1.125 * 2.302585093) = 1.158109...
  EXPECT_NEAR(d.Phi(last + 3 * kSecond), 1.1581, 1e-4);
  // Thresholds 5 and 12 are reached after 12.95 s and 31.09 s of silence.
  EXPECT_LT(d.Phi(last + 12'950'000), 5.0);
  EXPECT_GT(d.Phi(last + 12'960'000), 5.0);
  EXPECT_LT(d.Phi(last + 31'080'000), 12.0);
  EXPECT_GT(d.Phi(last + 31'090'000), 12.0);
}

TEST(PhiAccrual, LongSilencesAreNotSampledAndTheWindowSlides) {
  PhiAccrual d(kSecond, 2 * kSecond, /*window=*/3);
  d.Heartbeat(0);                           // seed 1 s
  d.Heartbeat(kSecond / 2);                 // 0.5 s
  d.Heartbeat(kSecond / 2 + 60 * kSecond);  // a minute of silence: not sampled
  EXPECT_EQ(d.samples(), 2u);
  EXPECT_DOUBLE_EQ(d.mean_us(), 750'000.0);
  int64_t t = kSecond / 2 + 60 * kSecond;
  for (int i = 0; i < 3; ++i) d.Heartbeat(t += kSecond / 4);
  EXPECT_EQ(d.samples(), 3u);  // the window keeps the last 3: 0.25 s each
  EXPECT_DOUBLE_EQ(d.mean_us(), 250'000.0);
  EXPECT_NEAR(d.Phi(t + 250'000), 1 / std::log(10.0), 1e-12);
}

TEST(PhiAccrual, OutOfOrderTimesDoNotGoBack) {
  PhiAccrual d(kSecond, 2 * kSecond);
  d.Heartbeat(5 * kSecond);
  d.Heartbeat(4 * kSecond);  // earlier than the last: ignored
  EXPECT_EQ(d.last_us(), 5 * kSecond);
  EXPECT_EQ(d.samples(), 1u);
}

}  // namespace
}  // namespace edge::federation
