#include "common/utc_time.h"

#include <gtest/gtest.h>

namespace edge {
namespace {

TEST(UtcTime, FormatsEpochAndKnownInstants) {
  EXPECT_EQ(FormatRfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
  // date -u -d @1796532440 = Sun Dec  6 04:47:20 UTC 2026
  EXPECT_EQ(FormatRfc3339Micros(1796532440123456), "2026-12-06T04:47:20.123456Z");
  EXPECT_EQ(FormatRfc3339Micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339Micros(951782400000000), "2000-02-29T00:00:00.000000Z");
}

TEST(UtcTime, DayOfAnInstantRoundsDown) {
  const int64_t day = int64_t{86'400} * 1'000'000;
  EXPECT_EQ(DayOfMicros(0), 0);
  EXPECT_EQ(DayOfMicros(day - 1), 0);
  EXPECT_EQ(DayOfMicros(day), 1);
  EXPECT_EQ(DayOfMicros(-1), -1);  // 1969-12-31T23:59:59.999999Z
  EXPECT_EQ(DayOfMicros(-day), -1);
  EXPECT_EQ(DayOfMicros(-day - 1), -2);
}

TEST(UtcTime, ParsesDatesAndDateTimes) {
  EXPECT_EQ(*ParseUtcTime("1970-01-01"), 0);
  EXPECT_EQ(*ParseUtcTime("2026-12-06T04:47:20Z"), 1796532440000000);
  EXPECT_EQ(*ParseUtcTime("2026-12-06t04:47:20.123456z"), 1796532440123456);
  EXPECT_EQ(*ParseUtcTime("2026-12-06 05:47:20.5+01:00"), 1796532440500000);
  EXPECT_EQ(*ParseUtcTime("2026-12-05T23:47:20-05:00"), 1796532440000000);
  EXPECT_EQ(*ParseUtcTime("2000-02-29"), 951782400000000);
}

TEST(UtcTime, RoundTripsItsOwnFormat) {
  for (int64_t t : {int64_t{0}, int64_t{1796532440123456}, int64_t{-86400000001},
                    int64_t{253402300799999999}}) {
    EXPECT_EQ(*ParseUtcTime(FormatRfc3339Micros(t)), t) << t;
  }
}

TEST(UtcTime, EndOfWindowCoversTheWholeDay) {
  EXPECT_EQ(*ParseUtcTimeEnd("1970-01-01"), 86400000000);
  EXPECT_EQ(*ParseUtcTimeEnd("1970-01-01T00:00:01Z"), 1000001);
}

TEST(UtcTime, RefusesMalformedText) {
  for (const char* bad :
       {"", "2026", "2026-13-01", "2026-02-30", "2025-02-29", "2026-12-06T", "2026-12-06T24:00:00Z",
        "2026-12-06T04:47:20", "2026-12-06T04:47:20.Z", "2026-12-06T04:47:20+0100",
        "2026-12-06T04:47:20Zjunk", "26-12-06", "2026-12-6", "2026/12/06", "now",
        "2026-12-06T04:47:20.1234567890Z"}) {
    Result<int64_t> r = ParseUtcTime(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace edge
