#include "common/money.h"

#include <cstdio>
#include <cstdlib>

namespace edge {

std::string Money::ToString() const {
  // Unsigned arithmetic so that INT64_MIN has a magnitude.
  uint64_t magnitude = micros_ < 0 ? 0 - static_cast<uint64_t>(micros_) : static_cast<uint64_t>(micros_);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%llu.%06llu", micros_ < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1000000),
                static_cast<unsigned long long>(magnitude % 1000000));
  return buf;
}

}  // namespace edge
