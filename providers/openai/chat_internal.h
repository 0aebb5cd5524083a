#pragma once

// Helpers shared by the chat_wire.h implementation files (adapter.cc, response.cc,
// chunk_decoder.cc); not part of the module's interface.

#include <simdjson.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "providers/adapter.h"
#include "providers/json_text.h"

namespace edge::providers::openai::internal {

// Status for malformed provider output: an upstream failure (502), never the client's fault.
inline Status Malformed(std::string_view provider, std::string_view what) {
  return Unavailable(std::string(provider) + ": malformed response: " + std::string(what));
}

using providers::JsonError;  // providers/json_text.h

// Reads an OpenAI usage object from a DOM (prompt_tokens, completion_tokens,
// prompt_tokens_details.cached_tokens). Missing, null or negative numbers count as 0;
// `reported` is set when prompt or completion tokens were present.
Usage ReadDomUsage(simdjson::dom::object usage);

// The parts of an OpenAI error object ({"message","type","code"}; code may be a number, as
// Azure's "429" is a string and some servers send 429). False when `error` is not an object
// or a string (Ollama's {"error":"..."}).
struct ErrorFields {
  std::string message, type, code;
};
bool ReadErrorFields(simdjson::dom::element error, ErrorFields* out);

// The classification of an error with `status` (0 inside a stream, where only the body
// speaks).
ProviderError ErrorFor(std::string_view provider, int status, const ErrorFields& fields);

}  // namespace edge::providers::openai::internal
