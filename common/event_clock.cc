#include "common/event_clock.h"

#include <ctime>

namespace edge {
namespace {

int64_t Read(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Per thread: each worker's loop has its own events. 0 = not read in this scope.
struct EventTimes {
  int depth = 0;
  int64_t monotonic = 0;
  int64_t wall = 0;
};
thread_local EventTimes times;

}  // namespace

EventClockScope::EventClockScope() {
  if (times.depth++ == 0) times.monotonic = times.wall = 0;
}

EventClockScope::~EventClockScope() {
  if (--times.depth == 0) times.monotonic = times.wall = 0;
}

namespace event_clock {

int64_t MonotonicMicros() {
  if (times.depth == 0) return Read(CLOCK_MONOTONIC);
  if (times.monotonic == 0) times.monotonic = Read(CLOCK_MONOTONIC);
  return times.monotonic;
}

int64_t FreshMonotonicMicros() {
  const int64_t now = Read(CLOCK_MONOTONIC);
  if (times.depth != 0) times.monotonic = now;
  return now;
}

int64_t WallMicros() {
  if (times.depth == 0) return Read(CLOCK_REALTIME);
  if (times.wall == 0) times.wall = Read(CLOCK_REALTIME);
  return times.wall;
}

}  // namespace event_clock
}  // namespace edge
