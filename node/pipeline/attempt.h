#pragma once

#include "common/status.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// Builds the request for ctx.deployment (pass-through or translated, see Mode) and starts
// the call; non-ok when the request cannot be expressed for that provider.
Status StartAttempt(RequestContext& ctx);

// Moves to the next candidate deployment and starts it, while candidates and the retry
// budget (router_settings.num_retries) last. False when none is left.
bool TryNextDeployment(RequestContext& ctx);

}  // namespace edge::pipeline
