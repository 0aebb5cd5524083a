#include "common/clock.h"

#include "common/event_clock.h"

namespace edge {
namespace {

// Through the event clock: one reading per event on a loop thread, fresh ones elsewhere.
class RealClock : public Clock {
 public:
  int64_t MonotonicMicros() const override { return event_clock::MonotonicMicros(); }
  int64_t WallMicros() const override { return event_clock::WallMicros(); }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

}  // namespace edge
