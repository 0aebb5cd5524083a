#include "common/price.h"

#include <gtest/gtest.h>

#include <limits>

namespace edge {
namespace {

constexpr TokenPrice kGpt4o{2'500'000, 10'000'000, 1'250'000};  // $2.50 / $10 / $1.25 per 1M

TEST(CostOf, HandComputedCases) {
  // 1,000 in + 500 out at gpt-4o: 1000*2.5e-6 + 500*10e-6 = 0.0025 + 0.005 = $0.0075.
  EXPECT_EQ(CostOf({1000, 500, 0}, kGpt4o).micros(), 7500);
  // 1M input tokens is exactly the list price.
  EXPECT_EQ(CostOf({1'000'000, 0, 0}, kGpt4o).micros(), 2'500'000);
  // 1 input token of gpt-4o-mini ($0.15/1M) is 0.15 micro-dollars: rounds to 0; 4 of them
  // are 0.6: rounds to 1.
  TokenPrice mini{150'000, 600'000, 75'000};
  EXPECT_EQ(CostOf({1, 0, 0}, mini).micros(), 0);
  EXPECT_EQ(CostOf({4, 0, 0}, mini).micros(), 1);
  // Exactly half a micro-dollar rounds up.
  EXPECT_EQ(CostOf({0, 0, 0}, mini).micros(), 0);
  EXPECT_EQ(CostOf({1, 0, 0}, TokenPrice{500'000, 0, 0}).micros(), 1);
}

TEST(CostOf, CachedInputIsBilledAtTheCachedPrice) {
  // 10,000 input of which 8,000 cached, 100 out:
  // 2,000 * 2.5 + 8,000 * 1.25 + 100 * 10 = 5,000 + 10,000 + 1,000 micro-dollars.
  EXPECT_EQ(CostOf({10'000, 100, 8'000}, kGpt4o).micros(), 16'000);
  // More cached than input (a provider's inconsistency) is capped at input.
  EXPECT_EQ(CostOf({100, 0, 500}, kGpt4o).micros(), CostOf({100, 0, 100}, kGpt4o).micros());
}

TEST(CostOf, NegativeCountsAreFreeAndHugeOnesSaturate) {
  EXPECT_EQ(CostOf({-5, -5, -5}, kGpt4o).micros(), 0);
  TokenPrice absurd{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max(), 0};
  EXPECT_EQ(CostOf({1'000'000'000'000, 1'000'000'000'000, 0}, absurd).micros(),
            std::numeric_limits<int64_t>::max());
}

TEST(CostOf, SumsOfRequestsAreExact) {
  // 1,000 requests of 1,234 in / 567 out at gpt-4o, each rounded once:
  // per request 1234*2.5 + 567*10 = 3085 + 5670 = 8755 micro-dollars, exactly.
  Money total;
  for (int i = 0; i < 1000; ++i) total += CostOf({1234, 567, 0}, kGpt4o);
  EXPECT_EQ(total.micros(), 8'755'000);
}

TEST(PerTokenUsd, ConvertsLiteLLMsFigures) {
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(0.0000025), 2'500'000);
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(0.00000015), 150'000);
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(0), 0);
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(-1), -1);
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(std::numeric_limits<double>::infinity()), -1);
  EXPECT_EQ(PerTokenUsdToMicrosPerMillion(1e10), -1);
}

}  // namespace
}  // namespace edge
