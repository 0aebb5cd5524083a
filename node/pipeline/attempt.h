#pragma once

#include "common/status.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// Builds the request for ctx.deployment (pass-through or translated, see Mode) and starts
// the call; non-ok when the request cannot be expressed for that provider.
Status StartAttempt(RequestContext& ctx);

// Asks the router for the next deployment and starts it, while the router has one
// (candidates, num_retries, the node-wide retry budget: ctx.route.decision.refusal says which
// ran out). Deployments the request cannot be expressed for are skipped; the first such
// reason goes to *not_expressible when given. False when none is left.
bool TryNextDeployment(RequestContext& ctx, Status* not_expressible = nullptr);

}  // namespace edge::pipeline
