#pragma once

#include "node/net/http_types.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// The X-Edge-* response headers of DESIGN.md: request id and node always; on success also
// region, jurisdiction, deployment, endpoint region, attempts and the node's own overhead.
void AddEdgeHeaders(RequestContext& ctx, net::HeaderList& headers, bool success);

}  // namespace edge::pipeline
