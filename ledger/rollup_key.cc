#include "ledger/rollup_key.h"

#include <cstdio>
#include <vector>

#include "common/utc_time.h"

namespace edge::ledger {
namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendDims(std::string* k, const Dims& d) {
  for (const std::string* s : {&d.team, &d.feature, &d.env, &d.model, &d.deployment, &d.key_id}) {
    k->push_back('\0');
    k->append(*s);
  }
}

std::vector<std::string_view> Split(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t z = key.find('\0', start);
    parts.push_back(key.substr(start, z == std::string_view::npos ? z : z - start));
    if (z == std::string_view::npos) break;
    start = z + 1;
  }
  return parts;
}

bool IsGranularity(std::string_view s) { return s == "h" || s == "d" || s == "m"; }

// `width` decimal digits of `v` (zero-padded, high digits dropped) at `out`.
void Digits(char* out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string PeriodOf(Granularity g, int64_t wall_micros) {
  int64_t days = DayOfMicros(wall_micros);
  const Civil c = CivilFromDays(days);
  int64_t y = c.year;
  const unsigned m = c.month, d = c.day;
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  // Fixed-width digits by hand: snprintf was most of a record's key-building cost.
  char buf[10];
  Digits(buf, static_cast<uint64_t>(y), 4);
  Digits(buf + 4, m, 2);
  switch (g) {
    case Granularity::kHour:
      Digits(buf + 6, d, 2);
      Digits(buf + 8, static_cast<uint64_t>(FloorDiv(wall_micros, kMicrosPerHour) - days * 24), 2);
      return std::string(buf, 10);
    case Granularity::kDay:
      Digits(buf + 6, d, 2);
      return std::string(buf, 8);
    case Granularity::kMonth:
      break;
  }
  return std::string(buf, 6);
}

int64_t PeriodStartMicros(Granularity g, int64_t wall_micros) {
  switch (g) {
    case Granularity::kHour:
      return FloorDiv(wall_micros, kMicrosPerHour) * kMicrosPerHour;
    case Granularity::kDay:
      return DayOfMicros(wall_micros) * kMicrosPerDay;
    case Granularity::kMonth: {
      const Civil c = CivilFromDays(DayOfMicros(wall_micros));
      return DaysFromCivil(c.year, c.month, 1) * kMicrosPerDay;
    }
  }
  return wall_micros;
}

int64_t PeriodEndMicros(Granularity g, int64_t wall_micros) {
  switch (g) {
    case Granularity::kHour:
      return PeriodStartMicros(g, wall_micros) + kMicrosPerHour;
    case Granularity::kDay:
      return PeriodStartMicros(g, wall_micros) + kMicrosPerDay;
    case Granularity::kMonth: {
      const Civil c = CivilFromDays(DayOfMicros(wall_micros));
      if (c.month == 12) return DaysFromCivil(c.year + 1, 1, 1) * kMicrosPerDay;
      return DaysFromCivil(c.year, c.month + 1, 1) * kMicrosPerDay;
    }
  }
  return wall_micros;
}

std::string CellPrefix(Granularity g, std::string_view period) {
  std::string k(1, static_cast<char>(g));
  k.push_back('\0');
  k.append(period);
  k.push_back('\0');
  k.push_back('c');
  return k;
}

std::string TagCellPrefix(Granularity g, std::string_view period, std::string_view tag_name) {
  std::string k(1, static_cast<char>(g));
  k.push_back('\0');
  k.append(period);
  k.push_back('\0');
  k.push_back('t');
  k.push_back('\0');
  k.append(tag_name);
  k.push_back('\0');
  return k;
}

std::string CellKey(Granularity g, std::string_view period, const Dims& d) {
  std::string k = CellPrefix(g, period);
  AppendDims(&k, d);
  return k;
}

std::string TagCellKey(Granularity g, std::string_view period, std::string_view tag_name,
                       std::string_view tag_value, const Dims& d) {
  std::string k = TagCellPrefix(g, period, tag_name);
  k.append(tag_value);
  AppendDims(&k, d);
  return k;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char c = static_cast<unsigned char>(end.back());
    if (c != 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // every key: an empty end means "to the last key"
}

std::optional<Cell> ParseCellKey(std::string_view key) {
  std::vector<std::string_view> p = Split(key);
  Cell c;
  size_t i = 0;
  if (p.size() < 3 || !IsGranularity(p[0])) return std::nullopt;
  c.granularity = static_cast<Granularity>(p[0][0]);
  c.period = p[1];
  if (p[2] == "c" && p.size() == 9) {
    i = 3;
  } else if (p[2] == "t" && p.size() == 11) {
    c.is_tag = true;
    c.tag_name = p[3];
    c.tag_value = p[4];
    i = 5;
  } else {
    return std::nullopt;
  }
  size_t want = c.granularity == Granularity::kHour ? 10 : c.granularity == Granularity::kDay ? 8 : 6;
  if (c.period.size() != want) return std::nullopt;
  for (char ch : c.period) {
    if (ch < '0' || ch > '9') return std::nullopt;
  }
  c.dims.team = p[i];
  c.dims.feature = p[i + 1];
  c.dims.env = p[i + 2];
  c.dims.model = p[i + 3];
  c.dims.deployment = p[i + 4];
  c.dims.key_id = p[i + 5];
  return c;
}

}  // namespace edge::ledger
