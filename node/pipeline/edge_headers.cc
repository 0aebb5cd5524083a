#include "node/pipeline/edge_headers.h"

#include <charconv>
#include <string>

namespace edge::pipeline {
namespace {

// Where a deployment's endpoint runs: its cloud region when known, else its declared
// jurisdiction, else "unknown" (never guessed).
std::string_view EndpointRegion(const config::Deployment& d) {
  if (!d.cloud_region.empty()) return d.cloud_region;
  if (!d.jurisdiction.empty()) return d.jurisdiction;
  return "unknown";
}

std::string_view Decimal(char (&buf)[24], int64_t n) {
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  return {buf, static_cast<size_t>(end - buf)};
}

}  // namespace

void AddEdgeHeaders(RequestContext& ctx, net::HeaderList& headers, bool success) {
  const config::NodeSettings& node = ctx.snapshot->config.node;
  headers.Add("X-Edge-Request-Id", ctx.request_id);
  headers.Add("X-Edge-Node", node.id);
  // Every answer's head goes out right after its headers are made (finalize reads these). A
  // failure's own time ends here: a fresh reading, not the event's.
  ctx.head_sent_us = success ? NowMicros() : FreshNowMicros();
  if (!success) {
    ctx.reply_overhead_us =
        ctx.overhead_us + (ctx.own_time_started_us != 0 ? ctx.head_sent_us - ctx.own_time_started_us : 0);
    return;
  }
  ctx.reply_overhead_us = ctx.overhead_us;
  headers.Add("X-Edge-Region", node.region);
  std::string_view jurisdiction = ctx.jurisdiction.name;
  if (jurisdiction.empty()) jurisdiction = "none";
  thread_local std::string value;  // reused: no allocation once warm
  value.assign(jurisdiction).append("; source=").append(ctx.jurisdiction.source);
  headers.Add("X-Edge-Jurisdiction", value);
  if (ctx.deployment != nullptr) {
    headers.Add("X-Edge-Deployment", ctx.deployment->id);
    headers.Add("X-Edge-Endpoint-Region", EndpointRegion(*ctx.deployment));
  } else {  // answered by the node itself (GET /v1/models)
    headers.Add("X-Edge-Deployment", "none");
    headers.Add("X-Edge-Endpoint-Region", node.region);
  }
  char buf[24];
  headers.Add("X-Edge-Attempts", Decimal(buf, ctx.attempts));
  headers.Add("X-Edge-Overhead-Us", Decimal(buf, ctx.overhead_us));
}

net::HeaderList& ReplyHeaders() {
  thread_local net::HeaderList headers;
  headers.Clear();
  return headers;
}

}  // namespace edge::pipeline
