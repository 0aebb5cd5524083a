#pragma once

// Small facts of Anthropic's wire format shared by the adapter and the pass-through.

#include <cstdint>
#include <string_view>

#include "providers/adapter.h"

namespace edge::providers::anthropic {

// The version sent when the deployment names none; the one every current SDK sends.
inline constexpr std::string_view kDefaultVersion = "2023-06-01";
// The Messages API refuses a request without max_tokens; OpenAI callers often omit it.
inline constexpr int64_t kDefaultMaxTokens = 4096;

// Anthropic's usage counters as reported. Its input_tokens counts only the uncached part of
// the prompt; cache writes and cache reads are counted apart.
struct UsageCounts {
  int64_t input = 0;
  int64_t output = 0;
  int64_t cache_creation = 0;
  int64_t cache_read = 0;
  bool seen = false;  // input_tokens or output_tokens was reported

  // Usage in our canonical (OpenAI) meaning: input_tokens counts every input token, cache
  // writes and reads included; cached_input_tokens are the reads.
  Usage ToUsage() const {
    Usage u;
    u.input_tokens = AddTokens(AddTokens(input, cache_creation), cache_read);
    u.output_tokens = output;
    u.cached_input_tokens = cache_read;
    u.reported = seen;
    return u;
  }
};

}  // namespace edge::providers::anthropic
