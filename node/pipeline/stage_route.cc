#include <algorithm>

#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

bool Allowed(const config::VirtualKey& key, std::string_view alias) {
  return key.models.empty() || std::find(key.models.begin(), key.models.end(), alias) != key.models.end();
}

// The jurisdiction whose data must stay inside it, or empty when the caller is not pinned.
std::string_view PinnedJurisdiction(const RequestContext& ctx) {
  const auto& all = ctx.snapshot->config.jurisdictions;
  auto it = all.find(ctx.jurisdiction.name);
  if (it == all.end() || !it->second.pinned) return {};
  return it->first;
}

}  // namespace

// The router (node/routing) lists the deployments this request may go to: the alias's
// group, its context-window fallbacks, its fallbacks. Residency is a filter, never a
// preference: a pinned caller's candidates are only deployments hosted in its jurisdiction,
// and every attempt is picked from those.
Next ResolveModel(RequestContext& ctx) {
  const config::Config& cfg = ctx.snapshot->config;
  auto it = cfg.deployments_by_alias.find(ctx.request.model);
  if (it == cfg.deployments_by_alias.end() || it->second.empty()) {
    ReplyError(ctx, NotFound("The model '" + ctx.request.model + "' does not exist."),
               "model_not_found");
    return Next::kReplied;
  }
  if (!Allowed(*ctx.key, ctx.request.model)) {
    ReplyError(ctx,
               {Code::kPermissionDenied,
                "This key is not allowed to use the model '" + ctx.request.model + "'."},
               "model_not_allowed");
    return Next::kReplied;
  }
  std::string_view pinned = PinnedJurisdiction(ctx);
  if (!ctx.route.Plan(cfg, ctx.snapshot->routes, ctx.request.model, pinned, CanonicalBody(ctx),
                      ctx.request.stream)) {
    if (ctx.route.residency_filtered()) {
      ReplyError(ctx,
                 {Code::kFailedPrecondition,
                  "No deployment of '" + ctx.request.model + "' is hosted in " + std::string(pinned) +
                      ", where this request's data must stay."},
                 "residency_unavailable");
    } else {
      ReplyError(ctx,
                 InvalidArgument("No deployment of '" + ctx.request.model +
                                 "' can take this request (images, tools, response_format json_schema "
                                 "or prompt size), nor can its fallbacks."),
                 "no_capable_deployment");
    }
    return Next::kReplied;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
