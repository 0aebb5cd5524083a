#include "ledger/budgets.h"

#include <algorithm>

#include "common/utc_time.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"

namespace edge::ledger {
namespace {

constexpr int64_t kWindowNs = 60'000'000'000;  // a minute: the bucket holds a minute's units

}  // namespace

int64_t RateLimit::IntervalNs(int64_t units) const {
  if (per_minute_ == 0) return kWindowNs + 1;
  __int128 ns = static_cast<__int128>(units) * kWindowNs / per_minute_;
  return ns > kWindowNs ? kWindowNs : static_cast<int64_t>(ns);  // at most a full bucket
}

int64_t RateLimit::TryTake(int64_t cost, int64_t now_us) {
  if (cost < 1) cost = 1;
  const int64_t now = now_us * 1000;
  const int64_t step = IntervalNs(cost);
  int64_t tat = tat_ns_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t next = std::max(tat, now) + step;
    if (next - now > kWindowNs) return (next - kWindowNs - now + 999) / 1000;
    if (tat_ns_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) return 0;
  }
}

void RateLimit::Adjust(int64_t delta_units) {
  if (delta_units == 0 || per_minute_ == 0) return;
  int64_t ns = IntervalNs(delta_units < 0 ? -delta_units : delta_units);
  tat_ns_.fetch_add(delta_units < 0 ? -ns : ns, std::memory_order_relaxed);
}

void Account::SetLimits(std::optional<int64_t> budget, std::optional<int64_t> soft,
                        std::optional<uint32_t> rpm, std::optional<uint32_t> tpm) {
  budget_.store(budget.value_or(-1));
  soft_.store(soft.value_or(-1));
  // A limit whose value is unchanged keeps its state (a reload must not refill buckets).
  auto set = [&](std::atomic<RateLimit*>& slot, std::optional<uint32_t> per_minute) {
    RateLimit* cur = slot.load();
    if (!per_minute) {
      slot.store(nullptr, std::memory_order_release);
    } else if (cur == nullptr || cur->per_minute() != *per_minute) {
      std::lock_guard lock(rollover_mu_);
      limits_.push_back(std::make_unique<RateLimit>(*per_minute));
      slot.store(limits_.back().get(), std::memory_order_release);
    }
  };
  set(rpm_, rpm);
  set(tpm_, tpm);
}

std::optional<int64_t> Account::budget_micros() const {
  int64_t b = budget_.load(std::memory_order_relaxed);
  return b < 0 ? std::nullopt : std::optional<int64_t>(b);
}

std::optional<int64_t> Account::soft_micros() const {
  int64_t s = soft_.load(std::memory_order_relaxed);
  return s < 0 ? std::nullopt : std::optional<int64_t>(s);
}

int64_t Account::reserved_micros() const {
  return committed_.load(std::memory_order_relaxed) - spent_.load(std::memory_order_relaxed);
}

void Account::LoadSpent(int32_t month, int64_t spent) {
  std::lock_guard lock(rollover_mu_);
  month_.store(month);
  spent_.store(spent);
  committed_.store(spent);
}

void Account::RollOver(int32_t month) {
  if (month_.load(std::memory_order_acquire) >= month) return;
  std::lock_guard lock(rollover_mu_);
  if (month_.load() >= month) return;
  // What was spent belongs to the old month; reservations in flight stay reserved.
  committed_.fetch_sub(spent_.exchange(0));
  month_.store(month, std::memory_order_release);
}

void Account::SetGlobalBudget(std::optional<int64_t> budget) {
  global_budget_.store(budget.value_or(-1));
}

std::optional<int64_t> Account::global_budget_micros() const {
  int64_t b = global_budget_.load(std::memory_order_relaxed);
  return b < 0 ? std::nullopt : std::optional<int64_t>(b);
}

void Account::SetRemoteSpent(int32_t month, int64_t micros) {
  // Month before value: a reader that sees the new month with the old month's value admits
  // against a smaller remote spend for one moment, which the overshoot bound already allows.
  remote_month_.store(month, std::memory_order_release);
  remote_spent_.store(micros, std::memory_order_release);
}

int64_t Account::remote_spent_micros() const {
  if (remote_month_.load(std::memory_order_acquire) != month_.load(std::memory_order_relaxed)) {
    return 0;
  }
  return remote_spent_.load(std::memory_order_acquire);
}

bool Account::TryReserve(int64_t estimate) {
  const int64_t budget = budget_.load(std::memory_order_relaxed);
  const int64_t global = global_budget_.load(std::memory_order_relaxed);
  if (budget < 0 && global < 0) {
    committed_.fetch_add(estimate, std::memory_order_relaxed);
    return true;
  }
  const int64_t remote = global < 0 ? 0 : remote_spent_micros();
  int64_t c = committed_.load(std::memory_order_relaxed);
  do {
    if (budget >= 0 && c >= budget) return false;
    if (global >= 0 && SaturatingAdd(c, remote) >= global) return false;
  } while (!committed_.compare_exchange_weak(c, c + estimate, std::memory_order_relaxed));
  return true;
}

bool Account::GlobalExhausted() const {
  const int64_t global = global_budget_.load(std::memory_order_relaxed);
  if (global < 0) return false;
  const int64_t budget = budget_.load(std::memory_order_relaxed);
  const int64_t c = committed_.load(std::memory_order_relaxed);
  if (budget >= 0 && c >= budget) return false;  // the local budget refused first
  return SaturatingAdd(c, remote_spent_micros()) >= global;
}

void Account::Unreserve(int64_t estimate) {
  committed_.fetch_sub(estimate, std::memory_order_relaxed);
}

int64_t Account::Settle(int64_t estimate, int64_t actual) {
  committed_.fetch_add(actual - estimate, std::memory_order_relaxed);
  return spent_.fetch_add(actual, std::memory_order_relaxed) + actual;
}

bool Account::CrossedSoft(int64_t spent_after, int64_t actual) const {
  int64_t soft = soft_.load(std::memory_order_relaxed);
  return soft >= 0 && actual > 0 && spent_after >= soft && spent_after - actual < soft;
}

int32_t MonthIndex(int64_t wall_micros) {
  // The month PeriodOf(kMonth) names ("YYYYMM", years held to 0..9999), by arithmetic: the
  // budget stage asks for every request, and formatting then parsing digits cost ~600
  // instructions.
  const Civil c = CivilFromDays(DayOfMicros(wall_micros));
  const int64_t year = std::clamp<int64_t>(c.year, 0, 9999);
  return static_cast<int32_t>((year - 1970) * 12 + (static_cast<int64_t>(c.month) - 1));
}

int64_t NextMonthStartMicros(int64_t wall_micros) {
  return PeriodEndMicros(Granularity::kMonth, wall_micros);
}

BudgetBook::BudgetBook() : map_(nullptr) {
  maps_.push_back(std::make_unique<Map>());
  map_.store(maps_.back().get());
}

BudgetBook::~BudgetBook() = default;

Account* BudgetBook::GetOrCreate(const std::string& kind, const std::string& name) {
  std::lock_guard lock(mu_);
  std::string k = kind + '\0' + name;
  const Map* cur = map_.load();
  auto it = cur->find(k);
  if (it != cur->end()) return it->second;
  accounts_.push_back(std::make_unique<Account>(kind, name));
  auto next = std::make_unique<Map>(*cur);
  next->emplace(k, accounts_.back().get());
  maps_.push_back(std::move(next));
  map_.store(maps_.back().get(), std::memory_order_release);
  return accounts_.back().get();
}

Account* BudgetBook::Find(const std::string& kind, const std::string& name) const {
  const Map* m = map_.load(std::memory_order_acquire);
  std::string k;
  k.reserve(kind.size() + 1 + name.size());
  k.append(kind).push_back('\0');
  k.append(name);
  auto it = m->find(k);
  return it == m->end() ? nullptr : it->second;
}

std::vector<const Account*> BudgetBook::All() const {
  const Map* m = map_.load(std::memory_order_acquire);
  std::vector<const Account*> out;
  out.reserve(m->size());
  for (const auto& [k, a] : *m) out.push_back(a);
  return out;
}

}  // namespace edge::ledger
