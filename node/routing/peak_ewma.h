#pragma once

// A deployment's measured latency as Finagle's and Linkerd's PeakEWMA keeps it: an
// exponentially weighted moving average decayed by the time between samples (not by their
// number), that jumps to any sample above it at once (the "peak"), so a deployment that
// suddenly slows is seen on its first slow answer, and that drifts back toward zero while
// unobserved, so a deployment that was slow is tried again after a while.
// (Finagle: com.twitter.finagle.loadbalancer.PeakEwma; Linkerd2-proxy: tower's PeakEwma.)
//
// Shared by every worker without a lock: cost and time stamp are packed into one 64-bit
// atomic (float milliseconds, uint32 milliseconds since the process's routing epoch) and
// updated by compare-and-swap. 0 = never observed.

#include <atomic>
#include <cstdint>

namespace edge::routing {

class PeakEwma {
 public:
  // Finagle's default decay time.
  static constexpr double kDecayMs = 10000;

  // Records a sample of `value` (milliseconds, or milliseconds per token) at `now_ms`
  // (monotonic, > 0).
  void Observe(double value, int64_t now_ms);
  // Replaces the average with `value`: a re-measurement of a deployment whose estimate is
  // stale (it was not picked for a long while) starts over instead of averaging with it.
  void Reset(double value, int64_t now_ms);
  // The cost at `now_ms`: the average decayed toward 0 for the time since the last sample.
  // 0 when never observed.
  double Cost(int64_t now_ms) const;
  // The average as of the last sample, without decay (for /admin/routes); 0 = no sample.
  double Last() const;
  bool observed() const { return cell_.load(std::memory_order_relaxed) != 0; }

 private:
  std::atomic<uint64_t> cell_{0};
};

}  // namespace edge::routing
