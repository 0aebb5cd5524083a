#include "federation/phi_accrual.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edge::federation {

PhiAccrual::PhiAccrual(int64_t initial_interval_us, int64_t max_interval_us, size_t window)
    : initial_interval_us_(std::max<int64_t>(initial_interval_us, 1)),
      max_interval_us_(std::max<int64_t>(max_interval_us, 1)),
      window_(std::max<size_t>(window, 1)) {}

void PhiAccrual::Heartbeat(int64_t now_us) {
  int64_t interval = last_us_ < 0 ? initial_interval_us_ : now_us - last_us_;
  if (interval > 0 && interval <= std::max(max_interval_us_, initial_interval_us_)) {
    intervals_.push_back(interval);
    sum_ += interval;
    if (intervals_.size() > window_) {
      sum_ -= intervals_.front();
      intervals_.pop_front();
    }
  }
  last_us_ = std::max(last_us_, now_us);
}

double PhiAccrual::mean_us() const {
  return intervals_.empty() ? static_cast<double>(initial_interval_us_)
                            : static_cast<double>(sum_) / static_cast<double>(intervals_.size());
}

double PhiAccrual::Phi(int64_t now_us) const {
  if (last_us_ < 0 || now_us <= last_us_) return 0;
  return static_cast<double>(now_us - last_us_) / (mean_us() * std::numbers::ln10);
}

}  // namespace edge::federation
