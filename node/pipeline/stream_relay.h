#pragma once

// One interface over the ways a provider stream becomes the client's stream: byte relays
// when the client speaks the provider's API (OpenAI chat, Anthropic messages, Responses to
// OpenAI), and a decode -> canonical deltas -> encode chain otherwise. respond.cc holds the
// relay's output back until content_started() (or until 256 KiB are held), so a stream that
// fails before any content can still fall back to another deployment without the client
// seeing it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "providers/adapter.h"
#include "providers/api/client_api.h"

namespace edge::pipeline {

class StreamRelay {
 public:
  virtual ~StreamRelay() = default;
  // Appends to *out what the client should get for `bytes`.
  virtual void Feed(std::string_view bytes, std::string* out) = 0;
  // The upstream body ended cleanly (as HTTP): flushes, appends the closing events when the
  // provider ended the stream normally.
  virtual void Finish(std::string* out) = 0;
  // The stream broke after content flowed: appends the client API's error event.
  virtual void Fail(std::string_view message, std::string* out) = 0;

  // The provider ended the stream normally (valid after Finish()).
  virtual bool done() const = 0;
  virtual bool content_started() const = 0;
  // The provider reported an error inside the stream, or the stream was malformed.
  virtual std::optional<providers::ProviderError> error() const = 0;
  virtual std::optional<providers::Usage> usage() const = 0;
  // Characters of output (text, tool calls) relayed so far: what a stream cut before the
  // provider's final usage report is billed by.
  virtual size_t output_chars() const = 0;
  // After Finish(): the whole answer in the client API's non-streaming shape when the node
  // wrote the stream and the API's stream carries one (Responses' response.completed).
  virtual std::string_view final_response() const { return {}; }
};

// The usage to bill for a stream, however it ended: the provider's report when the stream
// completed with one; otherwise what the provider reported so far completed by estimates
// from the client's request body and the output relayed (providers::UsageSoFar).
providers::Usage BilledStreamUsage(const StreamRelay& relay, std::string_view request_body);

// Client and provider speak OpenAI chat completions.
std::unique_ptr<StreamRelay> NewOpenAiChatRelay(bool client_wants_usage);
// Client and provider speak Anthropic messages.
std::unique_ptr<StreamRelay> NewAnthropicRelay();
// Client speaks the Responses API to an OpenAI deployment.
std::unique_ptr<StreamRelay> NewResponsesRelay();
// Anything else: the adapter decodes, the client API encodes.
std::unique_ptr<StreamRelay> NewTranslatingRelay(const providers::Adapter& adapter,
                                                 const providers::api::ClientApi& client,
                                                 const providers::api::CanonicalRequest& request);

}  // namespace edge::pipeline
