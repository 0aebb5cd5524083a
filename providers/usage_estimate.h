#pragma once

// Token counts for calls the provider never finished reporting: a stream the client
// cancelled, or one cut by a timeout or a broken connection, is still billed. The numbers
// are estimates (Usage::reported false) and are only used where the provider's own count
// is missing; a provider's report always wins.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "providers/adapter.h"

namespace simdjson::dom {
class element;
}

namespace edge::providers {

// Tokens for `chars` characters of text: OpenAI's rule of thumb of about four characters
// per token of English, rounded up.
int64_t EstimateTokens(size_t chars);

// The prompt tokens of a client request body in any of the client APIs (OpenAI chat,
// Anthropic messages, Responses): the text of its string values (messages, system,
// instructions, input, tool definitions), leaving out what is not prompt text (the model
// name, roles and types, images and files, which providers bill by size, not text) and a
// few tokens per message for the chat framing. A body that is not JSON counts by length.
int64_t EstimatePromptTokens(std::string_view request_body);

// The prompt estimate and the output limit a request states, from one parse of its body (a
// budget's reservation needs both): max_completion_tokens, else max_tokens, when that member
// is a positive integer; nullopt when absent or not one (as openai_params.h's MaxTokens).
struct RequestEstimate {
  int64_t prompt_tokens = 0;
  std::optional<int64_t> max_output_tokens;
};
RequestEstimate EstimateRequest(std::string_view request_body);
// The same from a body simdjson already parsed (openai::InspectRequest's tree), so that the
// request path parses a body once.
RequestEstimate EstimateParsedRequest(simdjson::dom::element root);

// The usage to bill for a stream that ended before the provider's final report:
// whatever the provider reported so far (Anthropic reports the prompt at the start,
// Gemini cumulative counts in every chunk), completed by estimates — the prompt from the
// request body, the output from the `output_chars` of text and tool-call arguments that
// reached the node. The output is never billed below what was delivered. Always marked
// not reported.
Usage UsageSoFar(const std::optional<Usage>& reported, size_t output_chars,
                 std::string_view request_body);

}  // namespace edge::providers
