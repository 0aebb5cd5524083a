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

void UsageSummary::SetKeyTeams(std::map<std::string, std::string, std::less<>> team_of_key) {
  auto next = std::make_shared<const std::map<std::string, std::string, std::less<>>>(
      std::move(team_of_key));
  std::lock_guard lock(mu_);
  key_teams_ = std::move(next);
}

void UsageSummary::StageCell(std::string_view cell_key, const RollupValue& v,
                             const std::map<std::string, std::string, std::less<>>& key_teams) {
  // Hour cells are most of a round's keys and are not gossiped: skip them unparsed.
  if (cell_key.empty() || (cell_key[0] != 'd' && cell_key[0] != 'm')) return;
  std::optional<Cell> cell = ParseCellKey(cell_key);
  if (!cell || cell->is_tag) return;
  if (cell->period.compare(0, 6, from_month_) < 0) return;
  UsageCellKey key{DisplayPeriod(cell->period), cell->dims.team, cell->dims.feature,
                   cell->dims.env, cell->dims.model};
  staged_usage_[std::move(key)] += CountersOf(v);
  if (cell->granularity != Granularity::kMonth || v.cost_micros == 0) return;
  const std::string month = DisplayPeriod(cell->period);
  staged_budgets_[BudgetCellKey{month, "key:" + cell->dims.key_id}] += v.cost_micros;
  auto owner = key_teams.find(cell->dims.key_id);
  const std::string& team = owner != key_teams.end() ? owner->second : cell->dims.team;
  if (!team.empty()) staged_budgets_[BudgetCellKey{month, "team:" + team}] += v.cost_micros;
}

Status UsageSummary::Load(const Store& store, int64_t now_wall_micros) {
  from_month_ = PreviousMonth(PeriodOf(Granularity::kMonth, now_wall_micros));
  const auto key_teams = KeyTeams();
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
                            StageCell(k, *value, *key_teams);
                            return true;
                          });
    EDGE_RETURN_IF_ERROR(s);
    EDGE_RETURN_IF_ERROR(bad);
  }
  Apply();
  return Status::Ok();
}

void UsageSummary::Stage(const std::unordered_map<std::string, RollupValue>& round) {
  if (from_month_.empty()) return;  // never loaded: not in use
  const auto key_teams = KeyTeams();
  for (const auto& [key, value] : round) StageCell(key, value, *key_teams);
}

std::shared_ptr<const std::map<std::string, std::string, std::less<>>> UsageSummary::KeyTeams() {
  std::lock_guard lock(mu_);
  if (!key_teams_) key_teams_ = std::make_shared<const std::map<std::string, std::string, std::less<>>>();
  return key_teams_;
}

void UsageSummary::Written(bool ok) {
  if (ok) {
    Apply();
  } else {
    staged_usage_.clear();
    staged_budgets_.clear();
  }
}

void UsageSummary::Apply() {
  if (staged_usage_.empty() && staged_budgets_.empty()) return;
  std::lock_guard lock(mu_);
  for (auto& [key, delta] : staged_usage_) {
    UsageCounters& total = usage_[key];
    total += delta;
    pending_usage_[key] = total;
  }
  for (auto& [key, delta] : staged_budgets_) {
    int64_t& total = budgets_[key];
    total = SaturatingAdd(total, delta);
    pending_budgets_[key] = total;
  }
  staged_usage_.clear();
  staged_budgets_.clear();
}

SummaryUpdate UsageSummary::TakeUpdates() {
  std::map<UsageCellKey, UsageCounters> usage;
  std::map<BudgetCellKey, int64_t> budgets;
  {
    std::lock_guard lock(mu_);
    usage.swap(pending_usage_);
    budgets.swap(pending_budgets_);
  }
  SummaryUpdate out;
  out.usage.assign(std::make_move_iterator(usage.begin()), std::make_move_iterator(usage.end()));
  out.budgets.assign(std::make_move_iterator(budgets.begin()),
                     std::make_move_iterator(budgets.end()));
  return out;
}

}  // namespace edge::ledger
