#pragma once

// One reading of each clock per event: the first read of CLOCK_MONOTONIC (and of
// CLOCK_REALTIME) while an EventClockScope is open is kept, and later reads in the same scope
// return it. A proxied request used to read the clocks 19 times (28 ns each here, where the
// virtual machine's TSC read dominates) for times that are microseconds apart; this is
// nginx's cached time (ngx_time_update once per event) and Envoy's
// Dispatcher::approximateMonotonicTime, kept to one event instead of one loop iteration so
// that a busy iteration's later events do not read its first event's time.
//
// Outside a scope every read is fresh: a forgotten scope costs reads, never a stale time.
// A duration measured within one event (the node's own time) ends with a Fresh read.

#include <cstdint>

namespace edge {

class EventClockScope {
 public:
  EventClockScope();
  ~EventClockScope();
  EventClockScope(const EventClockScope&) = delete;
  EventClockScope& operator=(const EventClockScope&) = delete;
};

namespace event_clock {

// CLOCK_MONOTONIC in microseconds: the event's, or now outside a scope.
int64_t MonotonicMicros();
// CLOCK_MONOTONIC now; later reads in the scope return this one.
int64_t FreshMonotonicMicros();
// CLOCK_REALTIME in microseconds since the Unix epoch: the event's, or now outside a scope.
int64_t WallMicros();

}  // namespace event_clock
}  // namespace edge
