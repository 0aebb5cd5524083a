#pragma once

// Anthropic's Messages API behind the provider interface (providers/adapter.h).
//
// - BuildChat: POST {base_path}/v1/messages with x-api-key and anthropic-version
//   (Target::api_version, else 2023-06-01). The OpenAI body is translated: system and
//   developer messages hoisted into `system`, consecutive turns of one role merged, tool
//   calls and tool results as tool_use / tool_result blocks, images as base64 or url
//   sources, max_tokens defaulted to 4096. What cannot be expressed is an InvalidArgument
//   naming it (request.cc's comment lists the choices).
// - ParseChat / NewStreamDecoder: answers and SSE streams in neutral form; usage
//   input_tokens counts every input token (uncached + cache writes + cache reads), with
//   cache reads as cached_input_tokens.
// - ClassifyError: 429 stays 429, 529 overloaded and 503 -> 503, other 5xx -> 502 (all
//   retryable); 400/413 pass through; 401/403/404 (the deployment's key or model) -> 502,
//   not retryable.
// - No embeddings API: InvalidArgument.
//
// For Anthropic clients served by an Anthropic deployment, see passthrough.h.

#include "providers/adapter.h"

namespace edge::providers::anthropic {

// The process-wide adapter; stateless and thread-safe.
const Adapter& AnthropicAdapter();

}  // namespace edge::providers::anthropic
