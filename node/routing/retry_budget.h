#pragma once

// The node-wide retry budget, as Finagle's RetryBudget: over the last kWindowS seconds,
// retries may be at most `ratio` of the requests plus a reserve of `min_retries_per_second`
// per second of the window, so light traffic always gets its fallback while a node whose
// upstreams are all down multiplies its load by at most 1 + ratio.
// (com.twitter.finagle.service.RetryBudget: ttl 10 s, minRetriesPerSec, percentCanRetry.)
//
// Lock-free: a ring of one-second slots of atomic counters; a slot is reused when its
// second has passed. Two workers racing on one slot's rollover may lose an increment, and
// two racing withdrawals may both pass on the last token: the bound is approximate by at most
// the number of workers, never by more.

#include <array>
#include <atomic>
#include <cstdint>

namespace edge::routing {

class RetryBudget {
 public:
  static constexpr int64_t kWindowS = 10;

  // One request arrived (deposits `ratio` of a retry).
  void Deposit(int64_t now_ms);
  // Takes one retry when the budget allows it; false (and counted) when it does not.
  bool TryWithdraw(double ratio, double min_per_second, int64_t now_ms);

  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }
  // Requests and retries over the window (for tests and /admin/routes).
  struct Totals {
    uint64_t requests = 0, retries = 0;
  };
  Totals InWindow(int64_t now_ms) const;

 private:
  struct Slot {
    std::atomic<int64_t> second{-1};
    std::atomic<uint32_t> requests{0};
    std::atomic<uint32_t> retries{0};
  };
  Slot& Current(int64_t now_ms);

  std::array<Slot, kWindowS> slots_;
  std::atomic<uint64_t> refusals_{0};
};

}  // namespace edge::routing
