#pragma once

// The provider interface. Every provider folder (openai, azure, anthropic, bedrock, gemini)
// implements Adapter with pure functions over bytes; registry.cc maps the provider name of a
// deployment ("anthropic" in "anthropic/claude-sonnet-4-6") to its adapter.
//
// The canonical form between client APIs and providers is OpenAI's: requests are OpenAI
// chat.completions JSON; answers are ChatResponse; streams are StreamDelta sequences. A
// client API (providers/api/) converts its own shape to and from that form.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace edge::providers {

// Token usage of one call, the basis of billing.
struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_input_tokens = 0;
  // Of output_tokens, those the model spent reasoning (OpenAI's reasoning_tokens, Gemini's
  // thoughtsTokenCount); billed as output, reported apart so that clients can see them.
  int64_t reasoning_tokens = 0;
  // True when the provider reported the numbers; false when they were counted or unknown.
  bool reported = false;
};

// The largest token count believed of a provider: far above any real call, far enough below
// INT64_MAX that sums of a few counts (Anthropic's input plus cache writes plus cache reads,
// input plus output for total_tokens) cannot overflow. A provider may send any integer up to
// 2^63-1; every count read from an answer goes through ClampTokens.
inline constexpr int64_t kMaxReportedTokens = 1'000'000'000'000;  // 1e12

// A provider-reported count as billed: negative is 0, beyond kMaxReportedTokens is
// kMaxReportedTokens.
constexpr int64_t ClampTokens(int64_t n) {
  return n < 0 ? 0 : n > kMaxReportedTokens ? kMaxReportedTokens : n;
}

// a + b for token counts, saturating instead of overflowing: a sum written into an answer
// or a bill never wraps, whatever the counts came from.
constexpr int64_t AddTokens(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return a > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// What the node tells an adapter about the deployment it calls. Filled from the config by
// node/; providers never read the config themselves.
struct Target {
  std::string provider;    // "openai", "azure", "anthropic", "bedrock", "gemini"
  std::string model;       // the provider's model id ("claude-sonnet-4-6", "eu.anthropic...")
  std::string host;        // api_base's host[:port] exactly as sent in Host (SigV4 signs it)
  std::string base_path;   // api_base's path without a trailing slash ("/v1", or "")
  std::string api_key;
  std::string api_version;  // Azure's api-version; Anthropic's anthropic-version if set
  std::string aws_region;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::string aws_session_token;
  int64_t now_unix_s = 0;  // the request's time, for signatures (SigV4's X-Amz-Date)
};

// One HTTP request to a provider. Host, Content-Length and Connection are added by the
// HTTP client; everything else (auth, signatures, content types) is here.
struct HttpCall {
  std::string method = "POST";
  std::string path;  // with the query string: "/v1beta/models/m:streamGenerateContent?alt=sse"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ToolCall {
  std::string id;         // the provider's tool-use id (Anthropic toolu_..., Bedrock toolUseId)
  std::string name;
  std::string arguments;  // a JSON object, as text
};

// A whole (non-streamed) chat answer, provider-neutral. finish_reason uses OpenAI's words:
// stop | length | tool_calls | content_filter.
struct ChatResponse {
  std::string id;
  std::string model;
  int64_t created = 0;
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason = "stop";
  Usage usage;
};

// One step of a streamed chat answer, provider-neutral.
struct StreamDelta {
  enum class Kind {
    kStart,          // the message began: id, model (role is always assistant)
    kText,           // text: a piece of the answer
    kToolCallStart,  // index, tool_id, tool_name: a tool call began
    kToolCallArgs,   // index, text: a piece of the tool call's JSON arguments
    kFinish,         // finish_reason
    kUsage,          // usage: the provider's numbers (may come more than once; last wins)
  };
  Kind kind = Kind::kText;
  int index = 0;  // tool-call index for the tool kinds
  std::string text;
  std::string tool_id, tool_name;
  std::string finish_reason;
  std::string id, model;
  Usage usage;
};

// A provider failure, classified. `status` is what the client should see (429, 502, 503,
// 504, or the provider's 4xx for a bad request); `retryable` says whether another
// deployment may be tried (429, 529 overloaded, 5xx, throttling, timeouts).
struct ProviderError {
  int status = 502;
  bool retryable = false;
  std::string type;     // the provider's error type ("overloaded_error", "ThrottlingException")
  std::string message;  // the provider's own words, for the client
  std::string retry_after;  // seconds, when the provider said: the client's Retry-After
};

// The headers of a non-2xx answer that say when to try again, as the provider sent them
// ("" when absent). ClassifyError reads them into ProviderError.retry_after. (The `{}`
// initializers let `{.retry_after_ms = "1500"}` leave the other out without a warning.)
struct RetryHeaders {
  std::string retry_after{};     // Retry-After: seconds (or an HTTP date)
  std::string retry_after_ms{};  // retry-after-ms, else x-ms-retry-after-ms (Azure, OpenAI)
};

// More tool calls than any model makes in one answer. A stream decoder that meets more
// fails the stream as malformed, so that a hostile upstream cannot make it track, and search
// per delta, an unbounded number of calls.
inline constexpr size_t kMaxStreamToolCalls = 1024;

// Decodes one provider stream incrementally: bytes in as they arrive, deltas out.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Appends the deltas decoded from `bytes`. A non-ok Status means the stream is malformed
  // (bad framing, CRC, JSON): the caller ends the exchange as an upstream failure.
  virtual Status Feed(std::string_view bytes, std::vector<StreamDelta>* out) = 0;
  // The body ended. Non-ok when it ended before the provider's own end marker.
  virtual Status Finish(std::vector<StreamDelta>* out) = 0;
  // An error the provider sent inside the stream (Anthropic `error` event, a Bedrock
  // exception frame, a Gemini error object): set once seen; Feed stops decoding after it.
  virtual const std::optional<ProviderError>& error() const = 0;
  // Usage as reported so far (Gemini's is cumulative: the last report, not a sum).
  virtual const Usage& usage() const = 0;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // The request for an OpenAI chat.completions body (the model member is ignored: the
  // target's model is used). InvalidArgument when the body cannot be expressed.
  virtual Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                                     bool stream) const = 0;
  // The provider's whole answer in neutral form.
  virtual Result<ChatResponse> ParseChat(std::string_view body) const = 0;
  virtual std::unique_ptr<StreamDecoder> NewStreamDecoder() const = 0;
  // Embeddings: the request for an OpenAI embeddings body, and the provider's answer as an
  // OpenAI embeddings JSON body naming the model that answered (target.model where the
  // provider's answer names none). Providers without embeddings return InvalidArgument.
  virtual Result<HttpCall> BuildEmbeddings(const Target& target,
                                           std::string_view openai_body) const = 0;
  virtual Result<std::string> ParseEmbeddings(const Target& target, std::string_view body,
                                              Usage* usage) const = 0;
  // A non-2xx answer (status, its retry headers, its body).
  virtual ProviderError ClassifyError(int status, const RetryHeaders& retry,
                                      std::string_view body) const = 0;
};

// The adapter for a deployment's provider name, or nullptr (registry.cc).
const Adapter* AdapterFor(std::string_view provider);

}  // namespace edge::providers
