#pragma once

// Spend queries over the roll-ups: GET /admin/spend and `llm-edge spend` (docs/ledger.md).
// Reads only the "rollups" family: a month of spend is one key range, whatever the traffic.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "ledger/store.h"

namespace edge::ledger {

// The dimensions a query may group by: team, feature, env, model, deployment, key, region,
// the UTC day ("2026-12-06") or hour ("2026-12-06T04:00:00Z") of the cells (a time series),
// and tag:NAME (at most one tag).
struct SpendQuery {
  std::vector<std::string> group_by;
  // The window: whole cells of one granularity, oldest first.
  Granularity granularity = Granularity::kMonth;
  std::vector<std::string> periods;
  std::string label;  // how the window is shown: "2026-12", "2026-12-05", "FROM/TO"
};

// Parses `group_by` ("team,feature,tag:customer"; empty = no grouping) into q->group_by.
Status ParseGroupBy(std::string_view text, SpendQuery* q);
// Sets the window from `period` ("YYYY-MM" or "YYYY-MM-DD"), or from [from, to) in
// microseconds (whole days when both fall on midnight, else whole hours covering them), or
// the month of `now_micros` when both are absent. Call after ParseGroupBy: grouping by day
// or hour reads the window from day or hour cells.
Status SetWindow(std::string_view period, std::optional<int64_t> from_micros,
                 std::optional<int64_t> to_micros, int64_t now_micros, SpendQuery* q);

struct SpendRow {
  std::vector<std::string> keys;  // one per group_by entry
  RollupValue value;
};

struct SpendResult {
  std::vector<SpendRow> rows;  // by cost, highest first; ties by keys
  RollupValue totals;
};

// Sums the cells of the window into rows. `region` is this store's region (the region
// dimension). A damaged cell key or value is an error naming it, never a silent skip.
Result<SpendResult> QuerySpend(const Store& store, const SpendQuery& q, const std::string& region);

}  // namespace edge::ledger
