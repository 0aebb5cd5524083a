#pragma once

// The client-facing API shapes the node serves: OpenAI chat completions, the OpenAI
// Responses API, and Anthropic Messages. Each converts its requests to the canonical OpenAI
// chat body and encodes canonical answers (ChatResponse, StreamDelta) in its own shape,
// errors included. Pure functions over bytes, like the adapters.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"

namespace edge::providers::api {

// A client request, converted.
struct CanonicalRequest {
  std::string model;  // the alias the client asked for
  bool stream = false;
  bool client_wants_usage = false;  // OpenAI chat: stream_options.include_usage
  std::string openai_body;          // the request as an OpenAI chat.completions body
  // When the answer was created (Unix seconds), for stream encoders, which see no
  // ChatResponse: chat chunks' `created`, Responses' `created_at`. ToCanonical leaves it 0;
  // the node sets it before NewStreamEncoder (time is injected, never read here).
  int64_t created = 0;
};

// Writes one client's stream in its API's shape from canonical deltas.
class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  // Appends the SSE bytes for `delta` to *out (possibly none: e.g. usage is held for the end).
  virtual void Encode(const StreamDelta& delta, std::string* out) = 0;
  // The stream ended normally: closing events (OpenAI's usage chunk when asked, [DONE];
  // Anthropic's message_delta with usage and message_stop; Responses' response.completed).
  virtual void End(const Usage& usage, std::string* out) = 0;
  // The stream broke after it started: the API's error event.
  virtual void Fail(std::string_view message, std::string* out) = 0;
  // After End(): the whole answer as the API's non-streaming response, when the API has one
  // in its stream (the Responses API's response.completed carries it), else empty. The node
  // keeps it for previous_response_id (responses.store).
  virtual std::string_view FinalResponse() const { return {}; }
};

class ClientApi {
 public:
  virtual ~ClientApi() = default;
  // InvalidArgument with a message fit for the client when the body is not acceptable.
  virtual Result<CanonicalRequest> ToCanonical(std::string_view body) const = 0;
  // A whole answer in this API's shape. `model` is the alias the client asked for.
  virtual std::string EncodeResponse(const ChatResponse& response,
                                     std::string_view model) const = 0;
  virtual std::unique_ptr<StreamEncoder> NewStreamEncoder(
      const CanonicalRequest& request) const = 0;
  // The error body for an HTTP status, in this API's shape (OpenAI {"error":{...}},
  // Anthropic {"type":"error","error":{"type","message"}}).
  virtual std::string ErrorBody(int status, std::string_view message,
                                std::string_view code) const = 0;
};

const ClientApi& OpenAiChatApi();         // openai_chat.cc
const ClientApi& AnthropicMessagesApi();  // anthropic_messages.cc
const ClientApi& ResponsesApi();          // responses.cc

// The stored-state feature a Responses API body uses (previous_response_id, conversation,
// background, an item_reference input item), or "" (also for a body that is not JSON).
// ResponsesApi().ToCanonical refuses such a body with an InvalidArgument naming the feature:
// only an OpenAI deployment, which keeps the state, can serve it, by pass-through (read its
// model and stream flag with openai::InspectRequest). The view refers to a literal.
std::string_view ResponsesStatefulFeature(std::string_view body);  // responses_request.cc

}  // namespace edge::providers::api
