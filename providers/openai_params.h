#pragma once

// The parameters of an OpenAI chat.completions body as the translating adapters (anthropic,
// gemini, bedrock) read them: one reading of the members, and one list of the members whose
// meaning another provider cannot honour, so that every adapter refuses them in the same
// words. How each member is written in the provider's shape stays with its adapter.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "providers/json_tree.h"

namespace edge::providers {

// How the translations read the canonical body and the JSON it carries in strings (tool call
// arguments): as deep as /v1/chat/completions and /v1/embeddings accept (simdjson's DOM
// default, with which InspectRequest checks them); duplicate keys kept, since a client body
// with one was refused on arrival and arguments pass as they came.
inline constexpr JsonReadOptions kCanonicalJson{.refuse_duplicate_keys = false, .max_depth = 1024};

// Reads a canonical body into *tree with kCanonicalJson. InvalidArgument "request body <what
// JsonTree::Parse says>", or "request body must be a JSON object".
Status ParseCanonicalBody(std::string_view body, JsonTree* tree);

// The members the translations read, from a JsonTree (json_tree.h) of the canonical body,
// which keeps every number's text as it arrived, so that numbers the adapters copy travel as
// written; nullptr when absent or null (in OpenAI's API a null member means "not given").
// Members point into the tree and live as long as it.
struct ChatParams {
  using Member = const JsonNode*;
  Member messages = nullptr, max_tokens = nullptr, max_completion_tokens = nullptr, stop = nullptr,
         temperature = nullptr, top_p = nullptr, presence_penalty = nullptr,
         frequency_penalty = nullptr, seed = nullptr, tools = nullptr, tool_choice = nullptr,
         parallel_tool_calls = nullptr, user = nullptr, response_format = nullptr,
         reasoning_effort = nullptr;
};

// Reads the members of a chat body. Members ChatParams does not hold are ignored; of
// duplicate members the last wins, as in most JSON readers. Never fails: each member's type
// is checked where an adapter translates it.
ChatParams ReadChatParams(const JsonNode& body);

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
Status CheckSupported(const JsonNode& body, const ParamSupport& support);

// The answer's token limit: max_completion_tokens, else max_tokens (its older name); nullopt
// when neither is given. InvalidArgument "'<member>' must be a positive integer" otherwise.
Result<std::optional<int64_t>> MaxTokens(const ChatParams& params);

// `stop`: one string, or an array of strings (possibly empty); the views point into the
// parsed body. InvalidArgument for anything else.
Result<std::vector<std::string_view>> StopSequences(const JsonNode& stop);

// A number node's value as a double (overflow gives +-inf, underflow 0); nullopt when the
// node is not a number. For range checks only: what is written stays the node's text.
std::optional<double> NumberValue(const JsonNode& number);

}  // namespace edge::providers
