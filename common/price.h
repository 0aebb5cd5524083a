#pragma once

// What a model's tokens cost, and the cost of one call's usage, in integer micro-dollars.
// Prices are micro-USD per million tokens, which is exactly the "USD per 1M tokens" figure
// providers publish times 10^6: $2.50 / 1M tokens = 2'500'000. Every amount stays an
// integer, so sums of many requests and of several regions are exact.

#include <cstdint>

#include "common/money.h"

namespace edge {

struct TokenPrice {
  int64_t input = 0;         // micro-USD per 1M uncached input tokens
  int64_t output = 0;        // micro-USD per 1M output tokens (reasoning included)
  int64_t cached_input = 0;  // micro-USD per 1M input tokens read from the provider's cache
  bool operator==(const TokenPrice&) const = default;
};

// Token counts of one call as billed. `cached_input` is the part of `input` served from the
// provider's prompt cache (OpenAI's cached_tokens, Anthropic's cache reads): it is billed at
// the cached price, the rest of `input` at the input price.
struct TokenCounts {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cached_input = 0;
};

// The cost of `tokens` at `price`, rounded to the nearest micro-dollar (halves up), computed
// in 128 bits so that no realistic count or price overflows; the result saturates at
// INT64_MAX. Negative counts are billed as 0; cached beyond input is capped at input.
Money CostOf(const TokenCounts& tokens, const TokenPrice& price);

// USD per token (LiteLLM's model_info.input_cost_per_token) as micro-USD per 1M tokens,
// rounded to the nearest integer; negative or not finite is -1.
int64_t PerTokenUsdToMicrosPerMillion(double usd_per_token);

}  // namespace edge
