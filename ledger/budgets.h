#pragma once

// Monthly budgets with reserve-then-settle, and rpm / tpm limits, per key and per team.
// Shared by every worker thread without a lock on the request path: each account is a few
// atomics, and the map of accounts is an immutable snapshot published by pointer.
//
// Budget rule (DESIGN.md "Budgets"): a request is admitted while spent + reserved < budget
// for each budget that applies; it then reserves its estimate and settles with the real cost.
// `committed` = spent + reserved is one atomic, and admission is one compare-and-swap on it,
// so concurrent requests cannot all see the same room: against a budget that fits one
// request, at most the one that crosses it and nothing else gets through — a hundred
// concurrent calls let through at most two when estimates are at least half the real cost.
//
// Rate limits are GCRA (the generic cell rate algorithm of ATM networks, as in Brandur
// Leach's `throttled` and Redis-cell): one atomic "theoretical arrival time" per limit; a
// request of cost c is admitted if the bucket, refilled continuously at limit/minute, holds
// c; else Retry-After says when it will.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace edge::ledger {

// A GCRA limit of `per_minute` units. Thread-safe, lock-free.
class RateLimit {
 public:
  explicit RateLimit(uint32_t per_minute) : per_minute_(per_minute) {}
  // Takes `cost` units at `now_us` (monotonic). Returns 0 when admitted, else the
  // microseconds until it would be.
  int64_t TryTake(int64_t cost, int64_t now_us);
  // Gives back (negative: takes more) units after the fact, e.g. tpm settled on real usage.
  void Adjust(int64_t delta_units);
  uint32_t per_minute() const { return per_minute_; }

 private:
  int64_t IntervalNs(int64_t units) const;
  uint32_t per_minute_;
  std::atomic<int64_t> tat_ns_{0};  // theoretical arrival time, ns on the caller's clock
};

// One monthly budget (a key's or a team's), plus its rate limits. Thread-safe, lock-free but
// for the once-a-month roll-over.
class Account {
 public:
  Account(std::string kind, std::string name) : kind_(std::move(kind)), name_(std::move(name)) {}

  const std::string& kind() const { return kind_; }  // "key" | "team"
  const std::string& name() const { return name_; }

  // Limits from the config; any may be absent. Call before sharing, or on reload (atomics).
  void SetLimits(std::optional<int64_t> budget_micros, std::optional<int64_t> soft_micros,
                 std::optional<uint32_t> rpm, std::optional<uint32_t> tpm);

  std::optional<int64_t> budget_micros() const;
  std::optional<int64_t> soft_micros() const;
  int64_t spent_micros() const { return spent_.load(std::memory_order_relaxed); }
  int64_t reserved_micros() const;
  RateLimit* rpm() const { return rpm_.load(std::memory_order_acquire); }
  RateLimit* tpm() const { return tpm_.load(std::memory_order_acquire); }

  // Start-up: what the roll-ups say this account spent in `month` (months since 1970-01).
  void LoadSpent(int32_t month, int64_t spent_micros);
  // Rolls the account over to `month` if it is a later one: spent starts again from 0.
  void RollOver(int32_t month);

  // The budget across every region (budget_usd_monthly_global), enforced against what the
  // federation says the other nodes spent this month plus this node's spent + reserved.
  void SetGlobalBudget(std::optional<int64_t> budget_micros);
  std::optional<int64_t> global_budget_micros() const;
  // The gossip thread: the other nodes' spend in `month` (months since 1970-01), as merged.
  // Only grows within a month (the CRDT's per-origin maxima); a value for another month than
  // the account's is ignored by admission.
  void SetRemoteSpent(int32_t month, int64_t micros);
  // The other nodes' spend this account's month (0 when none is known for it).
  int64_t remote_spent_micros() const;

  // Admission: true and `estimate` reserved if spent + reserved < budget (or no budget) and
  // remote + spent + reserved < global budget (or no global budget).
  bool TryReserve(int64_t estimate_micros);
  // After a refused TryReserve: whether the global budget is what refused it.
  bool GlobalExhausted() const;
  // Takes back a reservation that was never used (another account refused).
  void Unreserve(int64_t estimate_micros);
  // The request ended: its reservation becomes its real cost. Returns the spent amount after.
  int64_t Settle(int64_t estimate_micros, int64_t actual_micros);
  // Whether the soft threshold was crossed by the settle that brought spent to `spent`
  // from `spent - actual` (so it is reported once per crossing).
  bool CrossedSoft(int64_t spent_after, int64_t actual_micros) const;

 private:
  std::string kind_, name_;
  std::atomic<int64_t> budget_{-1};  // -1 = none
  std::atomic<int64_t> soft_{-1};
  std::atomic<int64_t> global_budget_{-1};  // -1 = none
  std::atomic<int64_t> remote_spent_{0};    // other nodes, in remote_month_
  std::atomic<int32_t> remote_month_{-1};
  std::atomic<int64_t> committed_{0};  // spent + reserved, this month
  std::atomic<int64_t> spent_{0};
  std::atomic<int32_t> month_{0};
  std::mutex rollover_mu_;  // only when the month changes
  std::atomic<RateLimit*> rpm_{nullptr}, tpm_{nullptr};
  std::vector<std::unique_ptr<RateLimit>> limits_;  // owns every RateLimit ever set
};

// Months since 1970-01 of a wall time (UTC), and the wall time its next month starts.
int32_t MonthIndex(int64_t wall_micros);
int64_t NextMonthStartMicros(int64_t wall_micros);

// The accounts by key id and team name. Lookups are lock-free reads of an immutable map;
// adding accounts (start-up, reload) copies the map under a mutex and publishes the copy.
class BudgetBook {
 public:
  BudgetBook();
  ~BudgetBook();
  // Returns the account, creating it when absent (reload path; takes a mutex).
  Account* GetOrCreate(const std::string& kind, const std::string& name);
  // Request path: the account or null. Lock-free.
  Account* Find(const std::string& kind, const std::string& name) const;
  // Every account, for /metrics. Takes no lock (reads the published map).
  std::vector<const Account*> All() const;

 private:
  using Map = std::map<std::string, Account*, std::less<>>;  // "kind\0name" -> account
  std::mutex mu_;
  std::atomic<const Map*> map_;
  std::vector<std::unique_ptr<Map>> maps_;  // every published map, freed at destruction
  std::vector<std::unique_ptr<Account>> accounts_;
};

}  // namespace edge::ledger
