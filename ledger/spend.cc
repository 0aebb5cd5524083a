#include "ledger/spend.h"

#include <algorithm>
#include <map>

#include "common/tag.h"
#include "common/utc_time.h"

namespace edge::ledger {
namespace {

constexpr size_t kMaxCells = 24 * 400;  // a window of at most 400 days of hours

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "2026-12-06" for day, "2026-12-06T04:00:00Z" for hour, from a day or hour period.
std::string TimeOf(const std::string& period, bool hour) {
  std::string day = period.substr(0, 4) + "-" + period.substr(4, 2) + "-" + period.substr(6, 2);
  return hour ? day + "T" + period.substr(8, 2) + ":00:00Z" : day;
}

std::string DimOf(const Cell& c, const std::string& dim, const std::string& region) {
  if (dim == "day" || dim == "hour") return TimeOf(c.period, dim == "hour");
  if (dim == "team") return c.dims.team;
  if (dim == "feature") return c.dims.feature;
  if (dim == "env") return c.dims.env;
  if (dim == "model") return c.dims.model;
  if (dim == "deployment") return c.dims.deployment;
  if (dim == "key") return c.dims.key_id;
  if (dim == "region") return region;
  return c.tag_value;  // tag:NAME
}

}  // namespace

Status ParseGroupBy(std::string_view text, SpendQuery* q) {
  q->group_by.clear();
  bool tag = false;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view dim = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (dim.substr(0, 4) == "tag:") {
      if (!IsTagValue(dim.substr(4))) {
        return InvalidArgument("group_by: '" + std::string(dim) + "' is not tag:NAME");
      }
      if (tag) return InvalidArgument("group_by: at most one tag:NAME");
      tag = true;
    } else if (dim != "team" && dim != "feature" && dim != "env" && dim != "model" &&
               dim != "deployment" && dim != "key" && dim != "region" && dim != "day" &&
               dim != "hour") {
      return InvalidArgument(
          "group_by: unknown dimension '" + std::string(dim) +
          "' (team, feature, env, model, deployment, key, region, day, hour, tag:NAME)");
    }
    if (std::find(q->group_by.begin(), q->group_by.end(), dim) != q->group_by.end()) {
      return InvalidArgument("group_by: '" + std::string(dim) + "' twice");
    }
    q->group_by.emplace_back(dim);
  }
  return Status::Ok();
}

Status SetWindow(std::string_view period, std::optional<int64_t> from, std::optional<int64_t> to,
                 int64_t now_micros, SpendQuery* q) {
  q->periods.clear();
  int64_t start = 0, end = 0;
  if (!period.empty()) {
    if (from || to) return InvalidArgument("period: give either period or from/to, not both");
    if (period.size() == 7 && period[4] == '-' && Digits(period.substr(0, 4)) &&
        Digits(period.substr(5, 2))) {
      int month = std::stoi(std::string(period.substr(5, 2)));
      if (month < 1 || month > 12) return InvalidArgument("period: no month " + std::string(period));
      q->granularity = Granularity::kMonth;
    } else if (period.size() == 10 && period[4] == '-' && period[7] == '-' &&
               Digits(period.substr(0, 4)) && Digits(period.substr(5, 2)) &&
               Digits(period.substr(8, 2))) {
      q->granularity = Granularity::kDay;
    } else {
      return InvalidArgument("period: '" + std::string(period) + "' is not YYYY-MM or YYYY-MM-DD");
    }
    Result<int64_t> t = ParseUtcTime(q->granularity == Granularity::kMonth
                                         ? std::string(period) + "-01"
                                         : std::string(period));
    if (!t.ok()) return InvalidArgument("period: " + t.status().message());
    start = *t;
    end = PeriodEndMicros(q->granularity, start);
    q->label = std::string(period);
  } else if (!from && !to) {
    q->granularity = Granularity::kMonth;
    start = PeriodStartMicros(Granularity::kMonth, now_micros);
    end = PeriodEndMicros(Granularity::kMonth, now_micros);
    std::string p = PeriodOf(Granularity::kMonth, now_micros);
    q->label = p.substr(0, 4) + "-" + p.substr(4, 2);
  } else {
    start = from ? *from : PeriodStartMicros(Granularity::kMonth, now_micros);
    end = to ? *to : now_micros + 1;
    if (end <= start) return InvalidArgument("to: must be after from");
    bool whole_days = PeriodStartMicros(Granularity::kDay, start) == start &&
                      PeriodStartMicros(Granularity::kDay, end) == end;
    q->granularity = whole_days ? Granularity::kDay : Granularity::kHour;
    q->label = "";
  }
  // Grouping by time needs cells at least as fine as the groups: the same window is then
  // read from the day (or hour) cells instead of the month's (or day's).
  auto has = [&](const char* dim) {
    return std::find(q->group_by.begin(), q->group_by.end(), dim) != q->group_by.end();
  };
  if (has("hour")) {
    q->granularity = Granularity::kHour;
  } else if (has("day") && q->granularity == Granularity::kMonth) {
    q->granularity = Granularity::kDay;
  }
  for (int64_t t = PeriodStartMicros(q->granularity, start); t < end;
       t = PeriodEndMicros(q->granularity, t)) {
    if (q->periods.size() >= kMaxCells) {
      return InvalidArgument("the window is too long (at most 400 days of hours)");
    }
    q->periods.push_back(PeriodOf(q->granularity, t));
  }
  return Status::Ok();
}

Result<SpendResult> QuerySpend(const Store& store, const SpendQuery& q, const std::string& region) {
  std::string tag_name;
  for (const std::string& g : q.group_by) {
    if (g.substr(0, 4) == "tag:") tag_name = g.substr(4);
  }
  std::map<std::vector<std::string>, RollupValue> groups;
  SpendResult result;
  Status bad = Status::Ok();
  for (const std::string& period : q.periods) {
    std::string prefix = tag_name.empty() ? CellPrefix(q.granularity, period)
                                          : TagCellPrefix(q.granularity, period, tag_name);
    // Dimension cells are "<prefix>\0...": the prefix with its separator bounds the range.
    if (tag_name.empty()) prefix.push_back('\0');
    Status s = store.Scan(Family::kRollups, prefix, PrefixEnd(prefix),
                          [&](std::string_view key, std::string_view value) {
                            std::optional<Cell> cell = ParseCellKey(key);
                            std::optional<RollupValue> v = DecodeRollup(value);
                            if (!cell || !v) {
                              bad = Internal("ledger: damaged roll-up cell in period " + period);
                              return false;
                            }
                            std::vector<std::string> keys;
                            keys.reserve(q.group_by.size());
                            for (const std::string& g : q.group_by) {
                              keys.push_back(DimOf(*cell, g, region));
                            }
                            groups[std::move(keys)] += *v;
                            result.totals += *v;
                            return true;
                          });
    EDGE_RETURN_IF_ERROR(s);
    EDGE_RETURN_IF_ERROR(bad);
  }
  // With a tag in group_by only requests carrying that tag are counted; totals say so too.
  for (auto& [keys, value] : groups) result.rows.push_back({keys, value});
  std::stable_sort(result.rows.begin(), result.rows.end(), [](const SpendRow& a, const SpendRow& b) {
    return a.value.cost_micros > b.value.cost_micros;
  });
  return result;
}

}  // namespace edge::ledger
