#pragma once

#include <cstdint>

namespace edge {

// Time as the process sees it. Injected so that tests can move time by hand.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic microseconds, for durations and timeouts.
  virtual int64_t MonotonicMicros() const = 0;
  // Microseconds since the Unix epoch, UTC, for records and periods.
  virtual int64_t WallMicros() const = 0;
};

// The real clocks (CLOCK_MONOTONIC, CLOCK_REALTIME). Thread-safe; lives forever.
const Clock& SystemClock();

// A clock that only moves when told to. Not thread-safe.
class ManualClock : public Clock {
 public:
  int64_t MonotonicMicros() const override { return mono_; }
  int64_t WallMicros() const override { return wall_; }
  void Advance(int64_t micros) { mono_ += micros; wall_ += micros; }
  void SetWall(int64_t micros) { wall_ = micros; }

 private:
  int64_t mono_ = 0;
  int64_t wall_ = 0;
};

}  // namespace edge
