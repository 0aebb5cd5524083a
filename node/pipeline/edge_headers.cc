#include "node/pipeline/edge_headers.h"

#include <string>

namespace edge::pipeline {
namespace {

// Where a deployment's endpoint runs: its cloud region when known, else its declared
// jurisdiction, else "unknown" (never guessed).
std::string EndpointRegion(const config::Deployment& d) {
  if (!d.aws_region_name.empty()) return d.aws_region_name;
  if (!d.jurisdiction.empty()) return d.jurisdiction;
  return "unknown";
}

}  // namespace

void AddEdgeHeaders(RequestContext& ctx, net::HeaderList& headers, bool success) {
  const config::NodeSettings& node = ctx.snapshot->config.node;
  headers.Add("X-Edge-Request-Id", ctx.request_id);
  headers.Add("X-Edge-Node", node.id);
  if (!success) return;
  headers.Add("X-Edge-Region", node.region);
  std::string jurisdiction = ctx.jurisdiction.name.empty() ? "none" : ctx.jurisdiction.name;
  headers.Add("X-Edge-Jurisdiction", jurisdiction + "; source=" + ctx.jurisdiction.source);
  if (ctx.deployment != nullptr) {
    headers.Add("X-Edge-Deployment", ctx.deployment->id);
    headers.Add("X-Edge-Endpoint-Region", EndpointRegion(*ctx.deployment));
  } else {  // answered by the node itself (GET /v1/models)
    headers.Add("X-Edge-Deployment", "none");
    headers.Add("X-Edge-Endpoint-Region", node.region);
  }
  headers.Add("X-Edge-Attempts", std::to_string(ctx.attempts));
  headers.Add("X-Edge-Overhead-Us", std::to_string(ctx.overhead_us));
}

}  // namespace edge::pipeline
