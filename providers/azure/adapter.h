#pragma once

// Azure OpenAI behind the provider interface (providers/adapter.h). The wire format is
// OpenAI's (openai/chat_wire.h); what differs is the address and the key:
//
// - BuildChat: POST {base_path}/openai/deployments/{target.model}/chat/completions
//   ?api-version={target.api_version} (default kDefaultApiVersion) with `api-key: <key>`;
//   the body is the client's with the deployment as model and, for streams,
//   stream_options.include_usage true (supported since api-version 2024-09-01-preview).
// - BuildEmbeddings: the same under .../embeddings.
// - Streams: Azure's first chunk may have empty `choices` and `prompt_filter_results`; the
//   shared chunk decoder skips it. content_filter finish reasons pass through.
// - ClassifyError: OpenAI's rules. A 429's delay is retry-after-ms (or x-ms-retry-after-ms)
//   rounded up to whole seconds, else Retry-After, else the "retry after N seconds" that
//   Azure writes in its message.

#include <string_view>

#include "providers/adapter.h"

namespace edge::providers::azure {

// The api-version sent when the deployment names none: the GA version current SDKs default
// to, which has stream_options (usage in streams).
inline constexpr std::string_view kDefaultApiVersion = "2024-10-21";

// The process-wide adapter; stateless and thread-safe.
const Adapter& AzureAdapter();

}  // namespace edge::providers::azure
