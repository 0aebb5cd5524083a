#pragma once

// Keys of the "rollups" family. A request adds its counters to one cell per granularity
// (hour, day, month) for its dimensions, and one more per free tag:
//
//   <g> 0 <period> 0 'c' 0 <team> 0 <feature> 0 <env> 0 <model> 0 <deployment> 0 <key id>
//   <g> 0 <period> 0 't' 0 <tag name> 0 <tag value> 0 <team> 0 ... 0 <key id>
//
// g is 'h', 'd' or 'm'; period is "YYYYMMDDHH", "YYYYMMDD" or "YYYYMM" (UTC), so a period's
// cells are one key range and periods sort in time order. Dimension values are tag values
// or config names, which never contain a 0 byte.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::ledger {

enum class Granularity : char { kHour = 'h', kDay = 'd', kMonth = 'm' };

struct Dims {
  std::string team, feature, env, model, deployment, key_id;
  bool operator==(const Dims&) const = default;
};

// The period of `wall_micros` at granularity g, e.g. "2026120604" for an hour.
std::string PeriodOf(Granularity g, int64_t wall_micros);
// The first instant of the period after the one containing `wall_micros` (exclusive end).
int64_t PeriodEndMicros(Granularity g, int64_t wall_micros);
// The first instant of the period containing `wall_micros`.
int64_t PeriodStartMicros(Granularity g, int64_t wall_micros);

std::string CellKey(Granularity g, std::string_view period, const Dims& d);
std::string TagCellKey(Granularity g, std::string_view period, std::string_view tag_name,
                       std::string_view tag_value, const Dims& d);
// Every dimension cell of a period, and every cell of one tag in a period.
std::string CellPrefix(Granularity g, std::string_view period);
std::string TagCellPrefix(Granularity g, std::string_view period, std::string_view tag_name);
// The smallest key after every key that starts with `prefix` (for a scan's end).
std::string PrefixEnd(std::string_view prefix);

struct Cell {
  Granularity granularity = Granularity::kMonth;
  std::string period;
  bool is_tag = false;
  std::string tag_name, tag_value;
  Dims dims;
};
// Nullopt when `key` is not a cell key (untrusted: the store may be damaged).
std::optional<Cell> ParseCellKey(std::string_view key);

}  // namespace edge::ledger
