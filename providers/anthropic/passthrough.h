#pragma once

// Anthropic client -> Anthropic deployment: the request and the answer pass untouched but
// for the model, and the node still needs the usage (billing) and to notice failures
// (fallback before content flowed, an error event after). Pure functions over bytes.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"
#include "providers/anthropic/wire_types.h"
#include "providers/sse.h"

namespace edge::providers::anthropic {

// The Messages API body with every top-level "model" member's value replaced by `model`
// (so that no duplicate can smuggle another model past) and every other byte kept. The body
// must be a UTF-8 JSON object (fully validated) with a string "model"; otherwise
// InvalidArgument with a message fit for the client.
Result<std::string> RewriteModel(std::string_view messages_body, std::string_view model);

// The usage of a whole (non-streamed) Messages API answer, as the adapter reports it
// (input_tokens counts cache reads and writes; cached_input_tokens the reads); nullopt when
// the body has no usage object.
std::optional<Usage> ExtractUsage(std::string_view messages_response_body);

// Relays a Messages API SSE stream unchanged while reading it. Output is whole events: what
// Feed appends always ends on an event boundary, so the node can hold back the preamble
// (message_start, ping) until content_started() and drop it to fall back invisibly when an
// `error` event comes first. Not thread-safe; one per stream.
class PassthroughStream {
 public:
  // Appends the complete events in `upstream_bytes` (and the events they complete) to *out,
  // byte for byte. After failed() nothing more is appended.
  void Feed(std::string_view upstream_bytes, std::string* out);
  // The upstream body ended: appends an event that was only waiting to learn whether its
  // final CR was half of a CRLF; an unfinished event is dropped.
  void Finish(std::string* out);

  // Usage as reported so far: message_start's input counts and provisional output_tokens,
  // then message_delta's cumulative counts. reported is false until message_start.
  const Usage& usage() const { return usage_; }
  // An `error` event (overloaded_error, ...), classified as the adapter does.
  const std::optional<ProviderError>& error() const { return error_; }
  bool saw_start() const { return saw_start_; }
  // message_stop was forwarded: the stream completed normally.
  bool saw_stop() const { return saw_stop_; }
  // A content block began (content_block_start or _delta forwarded): from here on a failure
  // is visible to the client and must end its stream with an error event.
  bool content_started() const { return content_started_; }
  // Characters of text, thinking and tool input in the deltas forwarded so far (see
  // UsageSoFar): message_start's output_tokens is provisional, so a stream cut short is
  // billed by what it delivered.
  size_t output_chars() const { return output_chars_; }
  // An event exceeded the framer's limit (8 MiB): end the client's stream with
  // StreamErrorEvent().
  bool failed() const { return framer_.error(); }
  size_t pending() const { return framer_.pending(); }

 private:
  void OnEvent(const SseEvent& event, std::string* out);
  void Inspect(std::string_view type, std::string_view data);

  SseFramer framer_;
  UsageCounts counts_;
  Usage usage_;
  std::optional<ProviderError> error_;
  bool saw_start_ = false;
  bool saw_stop_ = false;
  bool content_started_ = false;
  size_t output_chars_ = 0;
};

// The SSE event that ends a broken stream for an Anthropic client:
// `event: error\ndata: {"type":"error","error":{"type":...,"message":...}}\n\n`.
std::string StreamErrorEvent(std::string_view type, std::string_view message);

}  // namespace edge::providers::anthropic
