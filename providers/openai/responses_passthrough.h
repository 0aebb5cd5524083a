#pragma once

// Responses API client -> OpenAI deployment: the stream passes untouched; the node reads the
// usage of `response.completed` and notices `error` / `response.failed` events.

#include <optional>
#include <string>
#include <string_view>

#include "providers/adapter.h"
#include "providers/sse.h"

namespace edge::providers::openai {

class ResponsesPassthrough {
 public:
  // Appends the complete events in `bytes` to *out unchanged.
  void Feed(std::string_view bytes, std::string* out);
  void Finish(std::string* out);
  const std::optional<Usage>& usage() const { return usage_; }
  const std::optional<ProviderError>& error() const { return error_; }
  // response.completed or response.incomplete was seen.
  bool done() const { return done_; }
  // An output item or text delta was forwarded.
  bool content_started() const { return content_started_; }
  bool failed() const { return framer_.error(); }
  // Characters in the `*.delta` events forwarded so far (text, reasoning, function-call
  // arguments): the basis of the bill when the stream is cut before response.completed.
  size_t output_chars() const { return output_chars_; }

 private:
  void OnEvent(const SseEvent& event, std::string* out);

  SseFramer framer_;
  std::optional<Usage> usage_;
  std::optional<ProviderError> error_;
  bool done_ = false;
  bool content_started_ = false;
  size_t output_chars_ = 0;
};

// `event: error` for a Responses client whose stream broke.
std::string ResponsesStreamErrorEvent(std::string_view message);

}  // namespace edge::providers::openai
