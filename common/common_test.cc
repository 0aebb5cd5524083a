#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "common/event_clock.h"
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

// Long enough for both clocks to move by more than their microsecond resolution.
void LetTimePass() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

TEST(EventClock, OutsideAScopeEveryReadingIsFresh) {
  const int64_t mono = event_clock::MonotonicMicros();
  const int64_t wall = event_clock::WallMicros();
  LetTimePass();
  EXPECT_GT(event_clock::MonotonicMicros(), mono);
  EXPECT_GT(event_clock::WallMicros(), wall);
}

TEST(EventClock, AnEventKeepsItsFirstReadingOfEachClock) {
  EventClockScope event;
  const int64_t mono = event_clock::MonotonicMicros();
  const int64_t wall = event_clock::WallMicros();
  LetTimePass();
  EXPECT_EQ(event_clock::MonotonicMicros(), mono);
  EXPECT_EQ(event_clock::WallMicros(), wall);
  EXPECT_EQ(SystemClock().MonotonicMicros(), mono);  // the real clock reads through it
  EXPECT_EQ(SystemClock().WallMicros(), wall);
}

TEST(EventClock, AFreshReadingEndsADurationAndBecomesTheEventsTime) {
  EventClockScope event;
  const int64_t start = event_clock::MonotonicMicros();
  LetTimePass();
  const int64_t end = event_clock::FreshMonotonicMicros();
  EXPECT_GT(end, start);
  EXPECT_EQ(event_clock::MonotonicMicros(), end);
}

TEST(EventClock, NestedScopesShareTheOutermostEventAndTheNextEventReadsAnew) {
  int64_t first = 0;
  {
    EventClockScope outer;
    first = event_clock::MonotonicMicros();
    {
      EventClockScope inner;
      LetTimePass();
      EXPECT_EQ(event_clock::MonotonicMicros(), first);
    }
    LetTimePass();
    EXPECT_EQ(event_clock::MonotonicMicros(), first);  // the inner scope's end kept it
  }
  EventClockScope next;
  EXPECT_GT(event_clock::MonotonicMicros(), first);
}

TEST(EventClock, EachThreadHasItsOwnEvents) {
  EventClockScope event;
  const int64_t here = event_clock::MonotonicMicros();
  LetTimePass();
  int64_t there = 0;
  std::thread([&] { there = event_clock::MonotonicMicros(); }).join();
  EXPECT_GT(there, here);
  EXPECT_EQ(event_clock::MonotonicMicros(), here);
}

}  // namespace
}  // namespace edge
