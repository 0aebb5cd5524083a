#include "node/routing/retry_budget.h"

namespace edge::routing {

RetryBudget::Slot& RetryBudget::Current(int64_t now_ms) {
  int64_t second = now_ms / 1000;
  Slot& slot = slots_[static_cast<size_t>(second % kWindowS)];
  int64_t seen = slot.second.load(std::memory_order_relaxed);
  if (seen != second && slot.second.compare_exchange_strong(seen, second, std::memory_order_relaxed)) {
    slot.requests.store(0, std::memory_order_relaxed);
    slot.retries.store(0, std::memory_order_relaxed);
  }
  return slot;
}

void RetryBudget::Deposit(int64_t now_ms) {
  Current(now_ms).requests.fetch_add(1, std::memory_order_relaxed);
}

RetryBudget::Totals RetryBudget::InWindow(int64_t now_ms) const {
  int64_t second = now_ms / 1000;
  Totals t;
  for (const Slot& slot : slots_) {
    int64_t s = slot.second.load(std::memory_order_relaxed);
    if (s > second - kWindowS && s <= second) {
      t.requests += slot.requests.load(std::memory_order_relaxed);
      t.retries += slot.retries.load(std::memory_order_relaxed);
    }
  }
  return t;
}

bool RetryBudget::TryWithdraw(double ratio, double min_per_second, int64_t now_ms) {
  Slot& slot = Current(now_ms);
  Totals t = InWindow(now_ms);
  double allowed = ratio * static_cast<double>(t.requests) + min_per_second * kWindowS;
  if (static_cast<double>(t.retries) + 1 > allowed) {
    refusals_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  slot.retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace edge::routing
