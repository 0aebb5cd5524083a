#include "ledger/usage_summary.h"

#include "ledger/rollup_key.h"

namespace edge::ledger {
namespace {

UsageCounters CountersOf(const RollupValue& v) {
  UsageCounters c;
  c.requests = v.requests;
  c.input_tokens = v.input_tokens;
  c.output_tokens = v.output_tokens;
  c.cached_input_tokens = v.cached_input_tokens;
  c.cost_micros = v.cost_micros;
  c.estimated_cost_micros = v.estimated_cost_micros;
  return c;
}

// The month before `yyyymm` ("202601" -> "202512").
std::string PreviousMonth(const std::string& yyyymm) {
  int year = std::stoi(yyyymm.substr(0, 4));
  int month = std::stoi(yyyymm.substr(4, 2));
  if (--month == 0) {
    month = 12;
    --year;
  }
  char buf[8];
  buf[0] = static_cast<char>('0' + year / 1000 % 10);
  buf[1] = static_cast<char>('0' + year / 100 % 10);
  buf[2] = static_cast<char>('0' + year / 10 % 10);
  buf[3] = static_cast<char>('0' + year % 10);
  buf[4] = static_cast<char>('0' + month / 10);
  buf[5] = static_cast<char>('0' + month % 10);
  return std::string(buf, 6);
}

}  // namespace

UsageCounters& UsageCounters::operator+=(const UsageCounters& o) {
  requests = SaturatingAdd(requests, o.requests);
  input_tokens = SaturatingAdd(input_tokens, o.input_tokens);
  output_tokens = SaturatingAdd(output_tokens, o.output_tokens);
  cached_input_tokens = SaturatingAdd(cached_input_tokens, o.cached_input_tokens);
  cost_micros = SaturatingAdd(cost_micros, o.cost_micros);
  estimated_cost_micros = SaturatingAdd(estimated_cost_micros, o.estimated_cost_micros);
  return *this;
}

std::string DisplayPeriod(std::string_view p) {
  for (char c : p) {
    if (c < '0' || c > '9') return {};
  }
  if (p.size() == 6) return std::string(p.substr(0, 4)) + "-" + std::string(p.substr(4, 2));
  if (p.size() == 8) {
    return std::string(p.substr(0, 4)) + "-" + std::string(p.substr(4, 2)) + "-" +
           std::string(p.substr(6, 2));
  }
  return {};
}

void UsageSummary::SetKeyTeams(KeyTeams team_of_key) {
  std::lock_guard lock(mu_);
  key_teams_ = std::move(team_of_key);
}

void UsageSummary::Project(std::string_view cell_key, const RollupValue& v) {
  if (cell_key.empty() || (cell_key[0] != 'd' && cell_key[0] != 'm')) return;
  // <g> 0 <period> 0 'c' 0 <team> 0 <feature> 0 <env> 0 <model> 0 <deployment> 0 <key id>
  std::string_view p[9];
  size_t n = 0, start = 0;
  for (;;) {
    size_t z = cell_key.find('\0', start);
    if (n == 9) return;  // more parts: a tag cell
    p[n++] = cell_key.substr(start, z == std::string_view::npos ? z : z - start);
    if (z == std::string_view::npos) break;
    start = z + 1;
  }
  if (n != 9 || p[2] != "c") return;
  const std::string_view period = p[1];
  if (period.size() != (cell_key[0] == 'm' ? 6u : 8u) || period.substr(0, 6) < from_month_) return;
  const std::string display = DisplayPeriod(period);
  if (display.empty()) return;
  UsageCellKey key{display, std::string(p[3]), std::string(p[4]), std::string(p[5]),
                   std::string(p[6])};
  usage_[key] += CountersOf(v);
  changed_usage_.insert(std::move(key));
  if (cell_key[0] != 'm' || v.cost_micros == 0) return;
  auto add_budget = [&](std::string_view kind, std::string_view name) {
    BudgetCellKey b{display, std::string(kind)};
    b.subject.append(name);
    int64_t& total = budgets_[b];
    total = SaturatingAdd(total, v.cost_micros);
    changed_budgets_.insert(std::move(b));
  };
  add_budget("key:", p[8]);
  auto owner = key_teams_.find(p[8]);
  const std::string_view team = owner != key_teams_.end() ? std::string_view(owner->second) : p[3];
  if (!team.empty()) add_budget("team:", team);
}

Status UsageSummary::Load(const Store& store, int64_t now_wall_micros) {
  std::lock_guard lock(mu_);
  from_month_ = PreviousMonth(PeriodOf(Granularity::kMonth, now_wall_micros));
  Status bad;
  for (char g : {'d', 'm'}) {
    std::string begin{g, '\0'};
    begin += from_month_;
    const std::string end{g, '\1'};
    Status s = store.Scan(Family::kRollups, begin, end,
                          [&](std::string_view k, std::string_view v) {
                            std::optional<RollupValue> value = DecodeRollup(v);
                            if (!value || !ParseCellKey(k)) {
                              bad = Internal("ledger: damaged roll-up cell while loading the "
                                             "usage summary");
                              return false;
                            }
                            Project(k, *value);
                            return true;
                          });
    EDGE_RETURN_IF_ERROR(s);
    EDGE_RETURN_IF_ERROR(bad);
  }
  return Status::Ok();
}

void UsageSummary::Stage(const std::unordered_map<std::string, RollupValue>& round) {
  for (const auto& [key, value] : round) {
    // Hour cells are most of a round's keys and are not gossiped.
    if (!key.empty() && (key[0] == 'd' || key[0] == 'm')) staged_[key] += value;
  }
}

void UsageSummary::Written(bool ok) {
  if (ok && !staged_.empty()) {
    std::lock_guard lock(mu_);
    if (pending_.empty()) {
      pending_.swap(staged_);
    } else {
      for (auto& [key, value] : staged_) pending_[key] += value;
    }
  }
  staged_.clear();
}

void UsageSummary::Fold() {
  if (from_month_.empty()) {  // never loaded: not in use
    pending_.clear();
    return;
  }
  for (const auto& [key, value] : pending_) Project(key, value);
  pending_.clear();
}

SummaryUpdate UsageSummary::TakeUpdates() {
  std::lock_guard lock(mu_);
  Fold();
  SummaryUpdate out;
  for (const UsageCellKey& k : changed_usage_) out.usage.emplace_back(k, usage_[k]);
  for (const BudgetCellKey& k : changed_budgets_) out.budgets.emplace_back(k, budgets_[k]);
  changed_usage_.clear();
  changed_budgets_.clear();
  return out;
}

std::map<UsageCellKey, UsageCounters> UsageSummary::usage() {
  std::lock_guard lock(mu_);
  Fold();
  return usage_;
}

std::map<BudgetCellKey, int64_t> UsageSummary::budgets() {
  std::lock_guard lock(mu_);
  Fold();
  return budgets_;
}

}  // namespace edge::ledger
