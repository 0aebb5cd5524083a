#include "node/routing/peak_ewma.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace edge::routing {
namespace {

struct Unpacked {
  float cost;
  uint32_t stamp;
};

Unpacked Unpack(uint64_t cell) {
  return {std::bit_cast<float>(static_cast<uint32_t>(cell >> 32)), static_cast<uint32_t>(cell)};
}

uint64_t Pack(float cost, uint32_t stamp) {
  return (static_cast<uint64_t>(std::bit_cast<uint32_t>(cost)) << 32) | stamp;
}

uint32_t Stamp(int64_t now_ms) {
  uint32_t stamp = static_cast<uint32_t>(now_ms);
  return stamp == 0 ? 1 : stamp;  // 0 is "no sample"
}

// Stamps wrap after 49 days; their difference is read as a signed 32-bit number, so a sample
// from a racing thread a little "in the future" counts as no time, and only a deployment left
// unobserved for over 24 days decays by a wrong amount.
double ElapsedMs(uint32_t stamp, int64_t now_ms) {
  int32_t d = static_cast<int32_t>(Stamp(now_ms) - stamp);
  return d > 0 ? static_cast<double>(d) : 0.0;
}

}  // namespace

// Samples are milliseconds: anything past a day is a broken clock, and a float must hold it.
constexpr double kMaxSample = 86'400'000;

void PeakEwma::Observe(double value, int64_t now_ms) {
  if (!(value >= 0)) value = 0;  // NaN too
  value = std::min(value, kMaxSample);
  const uint32_t now = Stamp(now_ms);
  uint64_t old = cell_.load(std::memory_order_relaxed);
  for (;;) {
    double next = value;
    if (old != 0) {
      Unpacked u = Unpack(old);
      if (value <= u.cost) {
        double w = std::exp(-ElapsedMs(u.stamp, now) / kDecayMs);
        next = u.cost * w + value * (1 - w);
      }
    }
    // A sample of exactly 0 with no history still marks the deployment as observed.
    if (cell_.compare_exchange_weak(old, Pack(static_cast<float>(next), now),
                                    std::memory_order_relaxed)) {
      return;
    }
  }
}

void PeakEwma::Reset(double value, int64_t now_ms) {
  if (!(value >= 0)) value = 0;
  value = std::min(value, kMaxSample);
  cell_.store(Pack(static_cast<float>(value), Stamp(now_ms)), std::memory_order_relaxed);
}

double PeakEwma::Cost(int64_t now_ms) const {
  uint64_t cell = cell_.load(std::memory_order_relaxed);
  if (cell == 0) return 0;
  Unpacked u = Unpack(cell);
  return u.cost * std::exp(-ElapsedMs(u.stamp, now_ms) / kDecayMs);
}

double PeakEwma::Last() const {
  uint64_t cell = cell_.load(std::memory_order_relaxed);
  return cell == 0 ? 0 : Unpack(cell).cost;
}

}  // namespace edge::routing
