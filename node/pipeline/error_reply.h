#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// The one place where a Code becomes an HTTP status.
int HttpStatusFor(Code code);

// {"error":{"message":...,"type":...,"code":...}}: the OpenAI error shape, with the type
// OpenAI's SDKs expect for the status.
std::string OpenAiErrorBody(int http_status, std::string_view message, std::string_view code = {});

// Answers the request with `status` in the OpenAI shape, edge headers included, and records
// it as the outcome. `retry_after` (seconds) is sent when not empty.
void ReplyError(RequestContext& ctx, const Status& status, std::string_view error_code = {},
                std::string_view retry_after = {});

}  // namespace edge::pipeline
