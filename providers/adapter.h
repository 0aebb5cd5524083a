#pragma once

// What every provider adapter reports, whatever its wire format.

#include <cstdint>

namespace edge::providers {

// Token usage of one call, the basis of billing.
struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_input_tokens = 0;
  // True when the provider reported the numbers; false when they were counted or unknown.
  bool reported = false;
};

}  // namespace edge::providers
