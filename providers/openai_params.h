#pragma once

// The parameters of an OpenAI chat.completions body as the translating adapters (anthropic,
// gemini, bedrock) read them: one reading of the members, and one list of the members whose
// meaning another provider cannot honour, so that every adapter refuses them in the same
// words. How each member is written in the provider's shape stays with its adapter.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace edge::providers {

// The members the translations read; nullopt when absent or null (in OpenAI's API a null
// member means "not given"). The elements point into the parsed body and live as long as
// the parser that holds it.
struct ChatParams {
  using Member = std::optional<simdjson::dom::element>;
  Member messages, max_tokens, max_completion_tokens, stop, temperature, top_p, presence_penalty,
      frequency_penalty, seed, tools, tool_choice, parallel_tool_calls, user, response_format,
      reasoning_effort;
};

// Reads the members of a chat body. Members ChatParams does not hold are ignored; of
// duplicate members the last wins, as in most JSON readers. Never fails: each member's type
// is checked where an adapter translates it.
ChatParams ReadChatParams(simdjson::dom::object body);

// What a provider honours of the members that are otherwise refused.
struct ParamSupport {
  std::string_view provider;      // named in refusals: "<provider> does not support ..."
  bool penalties = false;         // presence_penalty / frequency_penalty other than 0
  bool reasoning_effort = false;  // reasoning_effort
};

// InvalidArgument "<provider> does not support <what>" for the first member whose meaning the
// provider cannot honour and which would change the answer if it were dropped: n > 1,
// logprobs, top_logprobs, a non-empty logit_bias, the legacy functions / function_call,
// audio, prediction, web_search_options, output modalities other than text, and, unless
// `support` allows them, non-zero penalties and reasoning_effort. Null members are absent.
// Members that only concern OpenAI's service (seed, store, metadata, service_tier, ...) and
// unknown ones pass, so that new OpenAI SDK defaults do not break other providers.
Status CheckSupported(simdjson::dom::object body, const ParamSupport& support);

// The answer's token limit: max_completion_tokens, else max_tokens (its older name); nullopt
// when neither is given. InvalidArgument "'<member>' must be a positive integer" otherwise.
Result<std::optional<int64_t>> MaxTokens(const ChatParams& params);

// `stop`: one string, or an array of strings (possibly empty); the views point into the
// parsed body. InvalidArgument for anything else.
Result<std::vector<std::string_view>> StopSequences(simdjson::dom::element stop);

}  // namespace edge::providers
