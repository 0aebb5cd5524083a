#pragma once

// Google's Gemini API (generativelanguage, v1beta) behind the provider interface
// (providers/adapter.h).
//
// - BuildChat: POST {base_path}/v1beta/models/{model}:generateContent, or
//   :streamGenerateContent?alt=sse for streams, with `x-goog-api-key`. The OpenAI body is
//   translated (request.cc, contents.cc): system messages -> systemInstruction, turns ->
//   contents (user / model, consecutive turns merged), images as inlineData, tool calls and
//   results as functionCall / functionResponse parts, tools -> functionDeclarations,
//   parameters -> generationConfig. What cannot be expressed is an InvalidArgument naming it.
// - ParseChat / NewStreamDecoder: candidates[0] in neutral form; tool calls get ids
//   "call_<n>" (Gemini has none); usageMetadata -> Usage (thinking tokens are output). A
//   stream's usageMetadata is cumulative: the last report wins.
// - BuildEmbeddings / ParseEmbeddings: :batchEmbedContents, answered as OpenAI embeddings
//   JSON naming the target's model, with usage 0 (Gemini reports none).
// - ClassifyError: RESOURCE_EXHAUSTED -> 429, UNAVAILABLE -> 503, DEADLINE_EXCEEDED -> 504,
//   INTERNAL and other 5xx -> 502 (all retryable; RetryInfo's delay stands in for a missing
//   Retry-After); an invalid key, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION -> 502
//   (the deployment's problem), INVALID_ARGUMENT -> 400; not retryable.

#include "providers/adapter.h"

namespace edge::providers::gemini {

// The process-wide adapter; stateless and thread-safe.
const Adapter& GeminiAdapter();

}  // namespace edge::providers::gemini
