#pragma once

// OpenAI wire format (chat completions, embeddings), as pure functions over bytes.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"
#include "providers/sse.h"
#include "providers/usage_estimate.h"

namespace edge::providers::openai {

// What the node needs to know of a client's request body before routing it.
struct RequestInfo {
  std::string model;  // the alias the client asked for
  bool stream = false;
  bool client_wants_usage = false;  // stream_options.include_usage was true
  // The body's token estimate (usage_estimate.h) from the same parse; nullopt for the rare
  // body only the slower tree reads (numbers simdjson refuses).
  std::optional<RequestEstimate> estimate;
};

// The body must be a UTF-8 JSON object (fully validated) with a non-empty string "model";
// "stream" must be a boolean or null, "stream_options" an object or null whose
// "include_usage" is a boolean or null; "model", "stream" and "stream_options" may appear
// only once (an upstream that takes the last duplicate would otherwise see another model
// than the one checked). Errors are InvalidArgument with a message fit for the client.
Result<RequestInfo> InspectRequest(std::string_view body);

// The body to send upstream: "model" set to upstream_model, and when `ask_usage`
// stream_options.include_usage set to true (other stream_options members kept). Every
// other byte passes unchanged: the edits are spliced in at the positions the parser
// reports, no re-serialization. Pass ask_usage only for streams: OpenAI answers 400 to
// stream_options on a non-streaming request. The body is expected to have passed
// InspectRequest (which validates it fully); what this walk cannot make sense of is an
// InvalidArgument.
Result<std::string> RewriteRequest(std::string_view body, std::string_view upstream_model,
                                   bool ask_usage);

// Usage of a non-streaming chat completion, embeddings (output 0) or Responses API response,
// when it reports one (`usage` an object).
std::optional<Usage> ExtractUsage(std::string_view response_body);

// Relays an upstream chat completion SSE stream to a client. The upstream was asked for
// usage; if the client was not, the final usage chunk (empty `choices`) is dropped and the
// `"usage":null` members the upstream adds to other chunks are removed, so the client gets
// exactly the stream it asked for. Events are forwarded whole as soon as they are complete.
class ChatStreamRelay {
 public:
  explicit ChatStreamRelay(bool client_wants_usage) : client_wants_usage_(client_wants_usage) {}

  // Feeds upstream bytes; appends what the client should get to *out. Comments, named
  // events, and events whose data is not a JSON object pass unchanged.
  void Feed(std::string_view upstream_bytes, std::string* out);
  // The upstream closed the stream: forwards an event whose only missing piece was
  // certainty about its last line ending (a final bare CR); an unfinished event is dropped.
  void Finish(std::string* out);
  // Usage from the usage chunk, once seen.
  const std::optional<Usage>& usage() const { return usage_; }
  // The upstream sent `data: [DONE]`.
  bool done() const { return done_; }
  // Some content (a chunk with choices) has been forwarded.
  bool content_started() const { return content_started_; }
  // An upstream event exceeded the framer's limit (8 MiB): nothing more is forwarded; end
  // the client's stream with StreamErrorEvent().
  bool failed() const { return framer_.error(); }
  // Bytes held back: the start of an event not yet complete.
  size_t pending() const { return framer_.pending(); }
  // Characters of text and tool-call pieces forwarded so far (see UsageSoFar).
  size_t output_chars() const { return output_chars_; }

 private:
  void OnEvent(const SseEvent& event, std::string* out);

  bool client_wants_usage_;
  SseFramer framer_;
  std::optional<Usage> usage_;
  bool done_ = false;
  bool content_started_ = false;
  size_t output_chars_ = 0;
  std::string edited_;  // an event's data with its null usage cut out
};

// The SSE event that ends a broken stream for an OpenAI client:
// `data: {"error":{"message":...,"type":...,"code":...}}\n\n` (code null when empty).
std::string StreamErrorEvent(std::string_view message, std::string_view type,
                             std::string_view code);

}  // namespace edge::providers::openai
