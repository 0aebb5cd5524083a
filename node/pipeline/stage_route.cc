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

// The deployments to try, in order: the alias's own (rotating where to start), then those of
// its router_settings.fallbacks aliases. Residency is a filter, never a preference: a
// pinned caller only ever gets deployments hosted in its jurisdiction, on every attempt.
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

  std::vector<const std::vector<size_t>*> groups = {&it->second};
  if (auto fb = cfg.router.fallbacks.find(ctx.request.model); fb != cfg.router.fallbacks.end()) {
    for (const std::string& alias : fb->second) {
      auto g = cfg.deployments_by_alias.find(alias);
      if (g != cfg.deployments_by_alias.end()) groups.push_back(&g->second);
    }
  }
  std::string_view pinned = PinnedJurisdiction(ctx);
  thread_local size_t rotation = 0;
  size_t start = rotation++;
  bool filtered = false;
  for (const auto* group : groups) {
    size_t first = ctx.candidates.size();
    for (size_t i = 0; i < group->size(); ++i) {
      // Only the requested alias rotates; fallbacks keep their configured order.
      size_t index = (*group)[group == groups.front() ? (start + i) % group->size() : i];
      if (!pinned.empty() && cfg.model_list[index].jurisdiction != pinned) {
        filtered = true;
        continue;
      }
      if (std::find(ctx.candidates.begin(), ctx.candidates.end(), index) == ctx.candidates.end()) {
        ctx.candidates.push_back(index);
      }
    }
    // litellm_params.order: lower first; the rotation holds among equals.
    std::stable_sort(ctx.candidates.begin() + static_cast<std::ptrdiff_t>(first), ctx.candidates.end(),
                     [&cfg](size_t a, size_t b) { return cfg.model_list[a].order < cfg.model_list[b].order; });
  }
  if (ctx.candidates.empty()) {
    ReplyError(ctx,
               {Code::kFailedPrecondition,
                "No deployment of '" + ctx.request.model + "' is hosted in " + std::string(pinned) +
                    ", where this request's data must stay."},
               filtered ? "residency_unavailable" : "no_deployment");
    return Next::kReplied;
  }
  ctx.deployment_index = ctx.candidates[0];
  ctx.next_candidate = 1;
  ctx.deployment = &cfg.model_list[ctx.deployment_index];
  return Next::kContinue;
}

}  // namespace edge::pipeline
