#pragma once

// The node's own usage, as the federation gossips it: absolute counters per period (month
// "YYYY-MM" and day "YYYY-MM-DD") x team x feature x env x model, and each key's and team's
// month cost (for global budgets). Only these aggregates leave the node: no records, no
// caller addresses, no keys (a key appears by its config id only).
//
// Kept on the ledger writer thread without a lock on the request path: the Recorder hands it
// each round's summed roll-up deltas at Seal (Stage), and the writer tells it whether the
// round reached the WAL (Written). Only written rounds count, so the summary never runs
// ahead of the store; at start it is loaded from the roll-ups, so a restarted node continues
// its counters (never back, never twice). The gossip thread takes the cells that changed
// (TakeUpdates): the one lock is between exactly these two threads, once per round.
//
// Window: cells of the month the node started in and the month before (and every later one
// as time goes on). Older periods stay in the local ledger (`llm-edge spend`) but are not
// gossiped, so the gossiped state does not grow with the node's whole history.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ledger/rollup_value.h"
#include "ledger/store.h"

namespace edge::ledger {

struct UsageCellKey {
  std::string period;  // "YYYY-MM" or "YYYY-MM-DD"
  std::string team, feature, env, model;
  auto operator<=>(const UsageCellKey&) const = default;
};

struct UsageCounters {
  int64_t requests = 0, input_tokens = 0, output_tokens = 0, cached_input_tokens = 0;
  int64_t cost_micros = 0, estimated_cost_micros = 0;
  bool operator==(const UsageCounters&) const = default;
  UsageCounters& operator+=(const UsageCounters& o);
};

struct BudgetCellKey {
  std::string month;    // "YYYY-MM"
  std::string subject;  // "key:<id>" or "team:<name>"
  auto operator<=>(const BudgetCellKey&) const = default;
};

// Absolute values (not deltas) of the cells that changed.
struct SummaryUpdate {
  std::vector<std::pair<UsageCellKey, UsageCounters>> usage;
  std::vector<std::pair<BudgetCellKey, int64_t>> budgets;  // cost in micro-USD
  bool empty() const { return usage.empty() && budgets.empty(); }
};

// "202612" -> "2026-12", "20261205" -> "2026-12-05"; "" for anything else.
std::string DisplayPeriod(std::string_view stored_period);

class UsageSummary {
 public:
  // The team whose budget each key's spend counts for (its configured team; keys not in the
  // map count for the request's team tag, as stage_budget charges them). Any thread: start-up
  // (before Load) and reload; a change applies to spend recorded from then on.
  void SetKeyTeams(std::map<std::string, std::string, std::less<>> team_of_key);

  // Before the writer starts: the totals of the window's roll-up cells (the month of
  // `now_wall_micros` and the one before, and anything later). A damaged cell is an error.
  // Everything loaded is in the first TakeUpdates().
  Status Load(const Store& store, int64_t now_wall_micros);

  // Writer thread: the round's summed roll-up deltas by cell key (Recorder::Seal).
  void Stage(const std::unordered_map<std::string, RollupValue>& round);
  // Writer thread: the round was written (`ok`) or failed (its staged deltas are dropped).
  void Written(bool ok);

  // Any thread (the gossip loop): the cells changed since the last call, with their
  // absolute values.
  SummaryUpdate TakeUpdates();

  // Writer thread or after the writer stopped: the current totals (tests).
  const std::map<UsageCellKey, UsageCounters>& usage() const { return usage_; }
  const std::map<BudgetCellKey, int64_t>& budgets() const { return budgets_; }

 private:
  // Stages the delta of one roll-up cell (false: not a cell key or not in the window).
  void StageCell(std::string_view cell_key, const RollupValue& v,
                 const std::map<std::string, std::string, std::less<>>& key_teams);
  std::shared_ptr<const std::map<std::string, std::string, std::less<>>> KeyTeams();
  void Apply();  // staged deltas into the totals and the pending updates

  std::shared_ptr<const std::map<std::string, std::string, std::less<>>> key_teams_;  // mu_
  std::string from_month_;  // stored form "YYYYMM": cells of older months are not kept
  std::map<UsageCellKey, UsageCounters> usage_;
  std::map<BudgetCellKey, int64_t> budgets_;
  std::map<UsageCellKey, UsageCounters> staged_usage_;
  std::map<BudgetCellKey, int64_t> staged_budgets_;

  std::mutex mu_;  // writer thread vs gossip thread (and reload), once per round
  std::map<UsageCellKey, UsageCounters> pending_usage_;
  std::map<BudgetCellKey, int64_t> pending_budgets_;
};

}  // namespace edge::ledger
