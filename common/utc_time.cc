#include "common/utc_time.h"

#include <cstdio>

namespace edge {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` decimal digits at *pos.
bool Digits(std::string_view s, size_t* pos, size_t n, int64_t* out) {
  if (*pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char a, char b = 0) {
  if (*pos >= s.size() || (s[*pos] != a && (b == 0 || s[*pos] != b))) return false;
  ++*pos;
  return true;
}

Status Bad(std::string_view text) {
  return InvalidArgument("'" + std::string(text.substr(0, 64)) +
                         "' is not a time: use RFC 3339 (2026-12-06T04:27:20Z) or YYYY-MM-DD (UTC)");
}

// Parses the text; *date_only tells whether it was a bare date.
Result<int64_t> Parse(std::string_view s, bool* date_only) {
  size_t pos = 0;
  int64_t year, month, day;
  if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &day) || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, static_cast<unsigned>(month))) {
    return Bad(s);
  }
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  *date_only = pos == s.size();
  if (*date_only) return days * kMicrosPerDay;
  int64_t hour, minute, second;
  if (!Expect(s, &pos, 'T', 't') && !Expect(s, &pos, ' ')) return Bad(s);
  if (!Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second) || hour > 23 || minute > 59 ||
      second > 60) {  // 60: a leap second, counted as the next second's start
    return Bad(s);
  }
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;  // digits past the microsecond are dropped
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return Bad(s);
  }
  int64_t offset_minutes = 0;
  if (Expect(s, &pos, 'Z', 'z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int64_t sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) || oh > 23 ||
        om > 59) {
      return Bad(s);
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return Bad(s);
  }
  if (pos != s.size()) return Bad(s);
  return days * kMicrosPerDay + ((hour * 60 + minute - offset_minutes) * 60 + second) * kMicrosPerSecond +
         micros;
}

}  // namespace

// Howard Hinnant's civil_from_days / days_from_civil ("chrono-Compatible Low-Level Date
// Algorithms"): exact for every day of the proleptic Gregorian calendar.
Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t DayOfMicros(int64_t wall_micros) {
  return wall_micros / kMicrosPerDay - (wall_micros % kMicrosPerDay < 0 ? 1 : 0);
}

std::string FormatRfc3339Micros(int64_t wall_micros) {
  static const int64_t kMin = DaysFromCivil(0, 1, 1) * kMicrosPerDay;
  static const int64_t kMax = DaysFromCivil(10000, 1, 1) * kMicrosPerDay - 1;
  if (wall_micros < kMin) wall_micros = kMin;
  if (wall_micros > kMax) wall_micros = kMax;
  const int64_t days = DayOfMicros(wall_micros);
  const int64_t rest = wall_micros - days * kMicrosPerDay;
  const Civil c = CivilFromDays(days);
  const int64_t secs = rest / kMicrosPerSecond;
  // YYYY-MM-DDTHH:MM:SS.uuuuuuZ by hand: snprintf cost more than the rest of an audit line.
  char buf[27];
  auto put = [](char* out, uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
  };
  put(buf, static_cast<uint64_t>(c.year), 4);
  buf[4] = '-';
  put(buf + 5, c.month, 2);
  buf[7] = '-';
  put(buf + 8, c.day, 2);
  buf[10] = 'T';
  put(buf + 11, static_cast<uint64_t>(secs / 3600), 2);
  buf[13] = ':';
  put(buf + 14, static_cast<uint64_t>(secs / 60 % 60), 2);
  buf[16] = ':';
  put(buf + 17, static_cast<uint64_t>(secs % 60), 2);
  buf[19] = '.';
  put(buf + 20, static_cast<uint64_t>(rest % kMicrosPerSecond), 6);
  buf[26] = 'Z';
  return std::string(buf, sizeof buf);
}

Result<int64_t> ParseUtcTime(std::string_view text) {
  bool date_only = false;
  return Parse(text, &date_only);
}

Result<int64_t> ParseUtcTimeEnd(std::string_view text) {
  bool date_only = false;
  Result<int64_t> t = Parse(text, &date_only);
  if (!t.ok()) return t;
  return *t + (date_only ? kMicrosPerDay : 1);
}

}  // namespace edge
