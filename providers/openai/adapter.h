#pragma once

// OpenAI chat completions and embeddings behind the provider interface (providers/adapter.h),
// for OpenAI itself and any OpenAI-compatible server (vLLM, Ollama, Groq, Mistral...) that
// api_base points at.
//
// - BuildChat: POST {base_path}/chat/completions with `Authorization: Bearer <api_key>`
//   (omitted when the key is empty: local servers need none). The body is the client's with
//   the target's model and, for streams, stream_options.include_usage true; nothing else is
//   re-encoded (chat_wire.h, ChatRequestBody).
// - ParseChat / NewStreamDecoder: chat.completion and chat.completion.chunk in neutral form;
//   a stream without `data: [DONE]` is cut, an in-stream {"error":...} sets error().
// - BuildEmbeddings: POST {base_path}/embeddings; ParseEmbeddings passes the body through.
// - ClassifyError: see chat_wire.h, ClassifyHttpError.
//
// The node's fast pass-through for OpenAI clients uses openai.h directly; this adapter serves
// the other client APIs (Anthropic Messages, Responses) and the translated paths.

#include "providers/adapter.h"

namespace edge::providers::openai {

// The process-wide adapter; stateless and thread-safe.
const Adapter& OpenAiAdapter();

}  // namespace edge::providers::openai
