#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/money.h"
#include "common/result.h"
#include "common/status.h"

namespace edge {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  EDGE_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(Status, OkByDefaultAndCarriesMessage) {
  EXPECT_TRUE(Status().ok());
  Status s = NotFound("no such model");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: no such model");
}

TEST(Result, ValueOrStatusAndEarlyReturn) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd");
}

TEST(Money, PrintsSixDecimalsExactly) {
  EXPECT_EQ(Money::FromMicros(12345678).ToString(), "12.345678");
  EXPECT_EQ(Money::FromMicros(-5).ToString(), "-0.000005");
  EXPECT_EQ((Money::FromMicros(1) + Money::FromMicros(2)).micros(), 3);
  EXPECT_EQ(Money::FromMicros(INT64_MIN).ToString(), "-9223372036854.775808");
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c;
  c.Advance(5);
  EXPECT_EQ(c.MonotonicMicros(), 5);
  EXPECT_GT(SystemClock().WallMicros(), 1700000000LL * 1000000);
}

}  // namespace
}  // namespace edge
