#include <algorithm>

#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {

// Picks the deployment for the requested alias. Strategies, residency filtering and
// fallback belong to node/routing; until then: the key must allow the alias, and requests
// rotate over the alias's deployments.
Next ResolveModel(RequestContext& ctx) {
  const config::Config& cfg = ctx.snapshot->config;
  auto it = cfg.deployments_by_alias.find(ctx.request.model);
  if (it == cfg.deployments_by_alias.end() || it->second.empty()) {
    ReplyError(ctx, NotFound("The model '" + ctx.request.model + "' does not exist."),
               "model_not_found");
    return Next::kReplied;
  }
  const auto& allowed = ctx.key->models;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), ctx.request.model) == allowed.end()) {
    ReplyError(ctx,
               {Code::kPermissionDenied,
                "This key is not allowed to use the model '" + ctx.request.model + "'."},
               "model_not_allowed");
    return Next::kReplied;
  }
  thread_local size_t rotation = 0;
  ctx.deployment_index = it->second[rotation++ % it->second.size()];
  ctx.deployment = &cfg.model_list[ctx.deployment_index];
  return Next::kContinue;
}

}  // namespace edge::pipeline
