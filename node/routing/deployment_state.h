#pragma once

// What the router knows about one deployment, shared by every worker thread: all atomics,
// so no request takes a lock (cooldown transitions are compare-and-swap; counters that two
// workers reset at a minute boundary at the same time may lose an increment, which is the
// price of not locking). One per deployment id, carried over when the config is reloaded.

#include <array>
#include <atomic>
#include <cstdint>

#include "node/routing/decision.h"
#include "node/routing/peak_ewma.h"

namespace edge::routing {

// The cooldown state machine (outlier ejection, as Envoy and LiteLLM do it):
//   healthy --(allowed_fails failures within 60 s, or a 429 with Retry-After)--> cooling_down
//   cooling_down --(cooldown ends)--> probing: the next request may take the one probe
//   probing --(probe succeeds)--> healthy;  --(probe fails)--> cooling_down again
enum class Health : uint8_t { kHealthy, kCoolingDown, kProbing };
std::string_view HealthName(Health h);  // "healthy", "cooling_down", "probing"

// Upper bounds (milliseconds) of the latency histogram buckets; the last is +Inf.
inline constexpr std::array<double, 11> kLatencyBucketsMs = {25,   50,   100,   250,   500,  1000,
                                                             2500, 5000, 10000, 30000, 60000};

class DeploymentState {
 public:
  static constexpr int64_t kFailureWindowMs = 60000;

  // --- cooldown ---
  Health HealthAt(int64_t now_ms) const;
  // Until when it cools down (monotonic ms); 0 when healthy.
  int64_t cooldown_until_ms() const { return cooldown_until_.load(std::memory_order_relaxed); }
  // A probing deployment admits one request at a time: true when this caller got it.
  bool TakeProbe();
  // The attempt ended. `failed`: counted toward allowed_fails (retryable status, connect
  // error, timeout). `retry_after_ms` > 0: the upstream asked to wait that long. `probe`: this
  // attempt held the probe. Returns true when the deployment entered a cooldown now.
  bool OnResult(bool failed, int64_t retry_after_ms, bool probe, int allowed_fails,
                int64_t cooldown_ms, int64_t now_ms);
  // Releases a probe whose attempt ended without a verdict (the client went away).
  void ReleaseProbe() { probe_taken_.store(false, std::memory_order_relaxed); }

  // --- load ---
  std::atomic<int32_t> in_flight{0};
  PeakEwma ttfb_ms;           // streams: time to the response head
  PeakEwma ms_per_token;      // whole answers: total time per output token
  // Latency strategy: times this deployment lost a P2C comparison since its last sample;
  // past a bound it is picked once to be measured again (so a recovered deployment is seen).
  std::atomic<uint32_t> skipped{0};
  // Its estimate comes from one sample far above the average before it (a peak): re-measured
  // after kRecheckPeakAfter lost comparisons instead, so one slow answer of a fast deployment
  // (a pause, a busy moment) does not send traffic elsewhere for long.
  std::atomic<bool> peaked{false};

  // --- the current minute (rpm/tpm, /admin/routes) ---
  void CountRequest(int64_t now_ms);
  void CountFailure(int64_t now_ms);
  void CountTokens(uint64_t tokens, int64_t now_ms);
  struct Minute {
    uint32_t requests = 0, failures = 0;
    uint64_t tokens = 0;
  };
  Minute ThisMinute(int64_t now_ms) const;

  // --- metrics (totals since start) ---
  std::array<std::atomic<uint64_t>, 8> attempts_by_outcome{};  // indexed by AttemptOutcome
  std::atomic<uint64_t> cooldowns{0};
  std::array<std::atomic<uint64_t>, kLatencyBucketsMs.size() + 1> latency_buckets{};
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> latency_sum_us{0};
  void RecordLatency(double ms);

 private:
  void Roll(int64_t now_ms);

  std::atomic<int64_t> cooldown_until_{0};
  std::atomic<bool> probe_taken_{false};
  std::atomic<int64_t> window_start_{0};  // of the failures counted toward allowed_fails
  std::atomic<int32_t> window_fails_{0};
  std::atomic<int64_t> minute_{-1};
  std::atomic<uint32_t> minute_requests_{0}, minute_failures_{0};
  std::atomic<uint64_t> minute_tokens_{0};
};

}  // namespace edge::routing
