#pragma once

// The OpenAI chat-completions wire format as Adapter building blocks, shared by every
// adapter that speaks it (openai/adapter.cc for OpenAI and compatible servers, azure/).
// They differ only in paths and auth headers; bodies, answers, streams and error bodies are
// the same. `provider` names the provider in error messages ("openai", "azure").

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"

namespace edge::providers::openai {

// The upstream body for a canonical (OpenAI) chat body: RewriteRequest with the target's
// model and, for streams, stream_options.include_usage true; then "stream" made to say
// `stream` (inserted when absent and true), so the body never contradicts the call.
Result<std::string> ChatRequestBody(std::string_view openai_body, std::string_view model,
                                    bool stream);

// A chat.completion body -> ChatResponse (choice 0). A body that is an error object or not
// a chat completion is Unavailable (an upstream failure, never the client's fault).
Result<ChatResponse> ParseChatCompletion(std::string_view body, std::string_view provider);

// chat.completion.chunk SSE -> StreamDelta. Chunks with empty `choices` and no usage (Azure's
// prompt_filter_results chunk) are skipped; `data: [DONE]` ends the stream; a JSON
// `{"error":...}` event sets error().
std::unique_ptr<StreamDecoder> NewChatChunkDecoder(std::string_view provider);

// An embeddings answer passes through unchanged once it is known to be an embeddings list;
// *usage gets its prompt_tokens (output 0).
Result<std::string> ReadEmbeddingsBody(std::string_view body, std::string_view provider,
                                       Usage* usage);

// Classifies a non-2xx answer with an OpenAI-shaped error body ({"error":{"message","type",
// "code"}}; also the bare {"error":"..."} / {"detail":...} / {"message":...} of compatible
// servers). 429 -> 429 and 503/529 -> 503 and 408/504 -> 504 and other 5xx -> 502, all
// retryable; 401/403/404 (the deployment's key or model) -> 502, not retryable; other 4xx pass
// through, not retryable. Retryable errors carry the retry delay in seconds: retry-after-ms
// rounded up (the more precise, as OpenAI's SDK prefers it), else Retry-After, else Azure's
// "retry after N second(s)" in the message.
ProviderError ClassifyHttpError(std::string_view provider, int status, const RetryHeaders& retry,
                                std::string_view body);

// OpenAI's finish_reason words (stop | length | tool_calls | content_filter) for whatever an
// OpenAI-compatible server wrote: the legacy function_call counts as tool_calls; empty and
// unknown reasons as stop.
std::string NormalizeFinishReason(std::string_view reason);

}  // namespace edge::providers::openai
