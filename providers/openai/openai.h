#pragma once

// OpenAI wire format (chat completions, embeddings), as pure functions over bytes.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"
#include "providers/sse.h"

namespace edge::providers::openai {

// What the node needs to know of a client's request body before routing it.
struct RequestInfo {
  std::string model;                // the alias the client asked for
  bool stream = false;
  bool client_wants_usage = false;  // stream_options.include_usage was true
};

// The body must be a UTF-8 JSON object with a string "model"; errors are InvalidArgument
// with a message fit for the client.
Result<RequestInfo> InspectRequest(std::string_view body);

// The body to send upstream: "model" set to upstream_model, and when `ask_usage` (streams)
// stream_options.include_usage set to true. Every other member passes unchanged.
Result<std::string> RewriteRequest(std::string_view body, std::string_view upstream_model,
                                   bool ask_usage);

// Usage of a non-streaming chat completion or embeddings response, when it reports one.
std::optional<Usage> ExtractUsage(std::string_view response_body);

// Relays an upstream chat completion SSE stream to a client. The upstream was asked for
// usage; if the client was not, the final usage chunk (empty `choices`) is dropped and the
// `"usage":null` members the upstream adds to other chunks are removed, so the client gets
// exactly the stream it asked for. Events are forwarded whole as soon as they are complete.
class ChatStreamRelay {
 public:
  explicit ChatStreamRelay(bool client_wants_usage) : client_wants_usage_(client_wants_usage) {}

  // Feeds upstream bytes; appends what the client should get to *out.
  void Feed(std::string_view upstream_bytes, std::string* out);
  // Usage from the usage chunk, once seen.
  const std::optional<Usage>& usage() const { return usage_; }
  // The upstream sent `data: [DONE]`.
  bool done() const { return done_; }
  // Some content (a chunk with choices) has been forwarded.
  bool content_started() const { return content_started_; }

 private:
  void OnEvent(const SseEvent& event, std::string* out);

  bool client_wants_usage_;
  SseFramer framer_;
  std::optional<Usage> usage_;
  bool done_ = false;
  bool content_started_ = false;
};

// The SSE event that ends a broken stream for an OpenAI client:
// `data: {"error":{"message":...,"type":...,"code":...}}\n\n`.
std::string StreamErrorEvent(std::string_view message, std::string_view type,
                             std::string_view code);

}  // namespace edge::providers::openai
