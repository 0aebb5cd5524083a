#pragma once

// Helpers shared by the files of providers/anthropic/; not part of the module's interface.

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "providers/adapter.h"
#include "providers/anthropic/wire_types.h"
#include "providers/json_text.h"

namespace edge::providers::anthropic::internal {

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, so JSON that comes
// as a view of someone else's buffer is parsed from a copy in a per-thread scratch buffer.
// One lease at a time per thread (nothing here re-enters); parsers and scratch that a huge
// document grew are released afterwards so one big body does not stay resident per worker.
class JsonLease {
 public:
  JsonLease();
  ~JsonLease();
  JsonLease(const JsonLease&) = delete;
  JsonLease& operator=(const JsonLease&) = delete;

  // Copies `json` to the scratch; Dom() and Iterate() then read that copy. Positions in an
  // On-Demand document are offsets from scratch_begin().
  void Load(std::string_view json);
  // Fully validates (UTF-8, grammar) and parses the loaded JSON; the element lives as long
  // as the lease or the next Load().
  simdjson::error_code Dom(simdjson::dom::element* root);
  simdjson::error_code Iterate(simdjson::ondemand::document* doc);
  const char* scratch_begin() const;
};

using providers::JsonError;  // providers/json_text.h

// Folds an Anthropic usage object into *counts: the counts present (and not null) replace
// earlier ones, as message_delta's are cumulative and may repeat or omit message_start's.
void MergeUsage(simdjson::dom::object usage, UsageCounts* counts);

// OpenAI's finish_reason for an Anthropic stop_reason.
std::string_view FinishReason(std::string_view stop_reason);

// The classification of an Anthropic error type ("overloaded_error", ...), with the HTTP
// status the provider would have used when it is not known (stream `error` events).
ProviderError ErrorForType(std::string_view type, std::string_view message, int http_status);

// Reads {"type":"error","error":{"type","message"}}; false when the body is not that shape.
bool ReadErrorBody(simdjson::dom::element root, std::string* type, std::string* message);

// Status for malformed provider output: an upstream failure (502), never the client's fault.
inline Status Malformed(std::string what) {
  return Unavailable("anthropic: malformed response: " + std::move(what));
}

}  // namespace edge::providers::anthropic::internal

namespace edge::providers::anthropic::internal {

// The Messages API body for an OpenAI chat.completions body (request.cc). `model` replaces
// the body's; `stream` decides "stream". InvalidArgument, naming the member, for what the
// Messages API cannot express.
Result<std::string> MessagesBody(std::string_view openai_body, std::string_view model, bool stream);

}  // namespace edge::providers::anthropic::internal

namespace edge::providers::anthropic::internal {

// The Messages API stream decoder (stream.cc).
std::unique_ptr<StreamDecoder> NewMessagesStreamDecoder();

}  // namespace edge::providers::anthropic::internal
