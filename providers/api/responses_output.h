#pragma once

// The Responses API's output, shared by responses.cc (whole answers) and
// responses_stream.cc (typed events); not part of the module's interface.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/api/internal.h"

namespace edge::providers::api::internal {

// One entry of a response's `output`.
struct OutputItem {
  bool is_call = false;
  std::string id;
  std::string call_id, name;  // function calls
  std::string text;           // a message's text, a call's arguments
  bool done = false;
};

// What the response object says besides its output.
struct ResponseHead {
  std::string id;
  int64_t created_at = 0;
  std::string_view model;
  std::string_view status;             // in_progress | completed | incomplete | failed
  std::string_view incomplete_reason;  // for incomplete
  std::string_view error_message;      // for failed
  const Usage* usage = nullptr;        // null until known
};

// "resp_" + the provider's answer id.
std::string ResponseId(std::string_view id);
// Item ids: unique within the response, derived from its id so they are stable.
std::string ItemId(std::string_view prefix, std::string_view response_id, size_t index);

void WriteUsage(JsonWriter& w, const Usage& u);
// {"type":"output_text","annotations":[],"logprobs":[],"text":...}
void WriteTextPart(JsonWriter& w, std::string_view text);
// An output item as the response and output_item events show it.
void WriteItem(JsonWriter& w, const OutputItem& item, std::string_view status);
// An item's status inside a response whose status is `response_status`.
std::string_view ItemStatus(const OutputItem& item, std::string_view response_status);
// The response object; `output` is written unless the status is in_progress.
void WriteResponse(JsonWriter& w, const ResponseHead& head, const std::vector<OutputItem>& output);
// The response status for a canonical finish reason, and *reason for incomplete ones.
std::string_view StatusFor(std::string_view finish_reason, std::string_view* reason);

std::unique_ptr<StreamEncoder> NewResponsesStreamEncoder(const CanonicalRequest& request);

}  // namespace edge::providers::api::internal
