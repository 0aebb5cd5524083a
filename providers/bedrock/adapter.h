#pragma once

// Amazon Bedrock Runtime: the Converse and ConverseStream APIs for chat, InvokeModel for
// Titan and Cohere embeddings, every request signed with SigV4 (service "bedrock",
// region target.aws_region, time target.now_unix_s, host target.host as sent).
//
// Wire choices worth knowing:
// - Paths are `{base_path}/model/{model id}/converse[-stream]` and `.../invoke`, the model id
//   percent-encoded (':' becomes %3A; '.' is unreserved and stays). Cross-region inference
//   profile ids ("eu.anthropic...", "us.", "apac.") are model ids like any other.
// - Usage follows the canonical (OpenAI) convention: input_tokens counts every prompt token,
//   so it is Bedrock's inputTokens + cacheReadInputTokens + cacheWriteInputTokens, and
//   cached_input_tokens is cacheReadInputTokens.
// - Responses carry no id or model: ChatResponse.id/model and kStart's id/model are empty;
//   the node fills them in. Converse reports no creation time either (created = 0).
// - Images must be data: URLs (Converse takes bytes, never URLs); tool_choice "none" has no
//   Converse equivalent, so the tools are sent without a toolChoice.
// - Titan embeddings take one text per call: an OpenAI body with several inputs is an
//   InvalidArgument for a Titan model (Cohere takes up to 96 texts in one call). Titan v2's
//   `dimensions` is passed through; Cohere's input_type comes from a non-OpenAI `input_type`
//   member when present, else "search_document". InvokeModel's answer names no model, so
//   the OpenAI body's `model` is the target's model id.

#include "providers/adapter.h"

namespace edge::providers::bedrock {

// The Bedrock adapter; stateless, lives forever, callable from any thread.
const Adapter& BedrockAdapter();

}  // namespace edge::providers::bedrock
