#pragma once

// Wall-clock instants as text: RFC 3339 in UTC for records and exports, and the two forms
// the command line and the admin API accept for `--from/--to` and `?from=&to=` (DESIGN.md:
// RFC 3339 or YYYY-MM-DD, UTC). Pure functions over the proleptic Gregorian calendar; they
// never read the process's time zone. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge {

// "2026-12-06T04:27:20.123456Z" for microseconds since the Unix epoch (UTC). Years outside
// 0000..9999 are clamped to that range's ends.
std::string FormatRfc3339Micros(int64_t wall_micros);

// Microseconds since the Unix epoch of "YYYY-MM-DD" (midnight UTC) or an RFC 3339 date-time
// ("2026-12-06T04:27:20Z", "...T04:27:20.5+01:00", 't'/'z' and a space for 'T' accepted).
// Anything else, or a field out of range, is kInvalidArgument naming the text.
Result<int64_t> ParseUtcTime(std::string_view text);

// The exclusive end of a window given as `--to TEXT`: a bare date covers its whole day
// (the next midnight), a date-time covers up to and including that instant.
Result<int64_t> ParseUtcTimeEnd(std::string_view text);

// A date of the proleptic Gregorian calendar.
struct Civil {
  int64_t year;
  unsigned month, day;  // 1..12, 1..31
};

// The civil date of a day counted from 1970-01-01, and back (Howard Hinnant's
// civil_from_days / days_from_civil; exact for every day). DaysFromCivil does not validate.
Civil CivilFromDays(int64_t days);
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// The day, counted from 1970-01-01, that holds an instant (µs since the epoch, UTC): rounded
// down, so an instant before 1970 falls on the day it is in, not the one after.
int64_t DayOfMicros(int64_t wall_micros);

}  // namespace edge
