#include "common/price.h"

#include <cmath>
#include <limits>

namespace edge {

Money CostOf(const TokenCounts& tokens, const TokenPrice& price) {
  using i128 = __int128;
  int64_t input = tokens.input > 0 ? tokens.input : 0;
  int64_t cached = tokens.cached_input > 0 ? tokens.cached_input : 0;
  if (cached > input) cached = input;
  int64_t output = tokens.output > 0 ? tokens.output : 0;
  i128 pico_sum = static_cast<i128>(input - cached) * price.input +
                  static_cast<i128>(cached) * price.cached_input +
                  static_cast<i128>(output) * price.output;
  // pico_sum is in micro-USD per million: divide by 10^6, rounding halves up.
  i128 micros = (pico_sum + 500'000) / 1'000'000;
  if (micros > std::numeric_limits<int64_t>::max()) micros = std::numeric_limits<int64_t>::max();
  if (micros < 0) micros = 0;  // only negative prices could do it; config forbids them
  return Money::FromMicros(static_cast<int64_t>(micros));
}

int64_t PerTokenUsdToMicrosPerMillion(double usd_per_token) {
  if (!std::isfinite(usd_per_token) || usd_per_token < 0) return -1;
  double v = usd_per_token * 1e12;
  if (v >= 9e18) return -1;
  return std::llround(v);
}

}  // namespace edge
