#pragma once

// The node's own usage, as the federation gossips it: absolute counters per period (month
// "YYYY-MM" and day "YYYY-MM-DD") x team x feature x env x model, and each key's and team's
// month cost (for global budgets). Only these aggregates leave the node: no records, no
// caller addresses, no keys (a key appears by its config id only).
//
// Fed on the ledger writer thread without a lock on the request path: the Recorder hands it
// each round's summed roll-up deltas at Seal (Stage), and the writer tells it whether the
// round reached the WAL (Written). Only written rounds count, so the summary never runs
// ahead of the store; at start it is loaded from the roll-ups, so a restarted node continues
// its counters (never back, never twice). The gossip thread takes the cells that changed
// (TakeUpdates) and does the projection then; the one lock is between exactly these two
// threads, once per writer round and once per gossip round.
//
// Window: cells of the month the node started in and the month before (and every later one
// as time goes on). Older periods stay in the local ledger (`llm-edge spend`) but are not
// gossiped, so the gossiped state does not grow with the node's whole history.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
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
  // (before Load) and reload; a change applies to spend projected from then on (at most one
  // gossip round of already recorded spend).
  void SetKeyTeams(std::map<std::string, std::string, std::less<>> team_of_key);

  // Before the writer starts: the totals of the window's roll-up cells (the month of
  // `now_wall_micros` and the one before, and anything later). A damaged cell is an error.
  // Everything loaded is in the first TakeUpdates().
  Status Load(const Store& store, int64_t now_wall_micros);

  // Writer thread: the round's summed roll-up deltas by cell key (Recorder::Seal). Only the
  // day and month cells are kept, as they are: one hash-map add per cell, no parsing.
  void Stage(const std::unordered_map<std::string, RollupValue>& round);
  // Writer thread: the round was written (`ok`: its cells join the pending ones under the
  // lock) or failed (its staged deltas are dropped).
  void Written(bool ok);

  // Any thread (the gossip loop, once per round): projects the pending cells onto the
  // summary's cells and returns those that changed since the last call, with their absolute
  // values. The projection (parsing cell keys, the maps below) happens here, off the writer.
  SummaryUpdate TakeUpdates();

  // Copies of the current totals (tests).
  std::map<UsageCellKey, UsageCounters> usage();
  std::map<BudgetCellKey, int64_t> budgets();

 private:
  using KeyTeams = std::map<std::string, std::string, std::less<>>;
  // Adds one roll-up cell's delta into the totals (mu_ held); skips hour and tag cells and
  // periods before the window.
  void Project(std::string_view cell_key, const RollupValue& v);
  void Fold();  // pending_ into the totals (mu_ held)

  std::unordered_map<std::string, RollupValue> staged_;  // writer thread: this round's cells

  std::mutex mu_;  // writer thread (once per round) vs gossip thread (once per gossip round)
  std::unordered_map<std::string, RollupValue> pending_;  // written, not yet projected
  std::string from_month_;  // stored form "YYYYMM": cells of older months are not kept
  KeyTeams key_teams_;
  std::map<UsageCellKey, UsageCounters> usage_;
  std::map<BudgetCellKey, int64_t> budgets_;
  std::set<UsageCellKey> changed_usage_;  // since the last TakeUpdates
  std::set<BudgetCellKey> changed_budgets_;
};

}  // namespace edge::ledger
