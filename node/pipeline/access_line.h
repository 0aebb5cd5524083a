#pragma once

// One access log line (log.access; docs/headers-and-metrics.md lists the fields): the JSON
// object that describes a finished request, appended with its '\n' to a worker's buffer.
// It names the request, the caller's key id (never the key), its tags, where it was routed,
// how it ended, its usage and cost and its timings; never a prompt, an answer or a secret.

#include <string>

#include "node/pipeline/request_context.h"
#include "node/runtime/usage_metrics.h"

namespace edge::pipeline {

// `record` is what finalize counted for GET /metrics (labels, status, timings, cost).
void AppendAccessLine(const RequestContext& ctx, const runtime::RequestRecord& record,
                      std::string& out);

}  // namespace edge::pipeline
