#pragma once

#include "node/net/http_types.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// The X-Edge-* response headers of DESIGN.md: request id and node always; on success also
// region, jurisdiction, deployment, endpoint region, attempts and the node's own overhead.
void AddEdgeHeaders(RequestContext& ctx, net::HeaderList& headers, bool success);

// An empty header list for one reply, shared by every reply of the calling thread: the
// exchange copies the fields out when it is handed the list, and reusing the list's
// storage spares each request a dozen allocations.
net::HeaderList& ReplyHeaders();

}  // namespace edge::pipeline
