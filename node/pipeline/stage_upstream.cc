#include <algorithm>
#include <cmath>

#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

uint32_t Millis(double seconds) {
  return static_cast<uint32_t>(std::clamp(std::ceil(seconds * 1000), 1.0, 4294967295.0));
}

net::UpstreamTimeouts TimeoutsFor(const RequestContext& ctx) {
  const config::Deployment& d = *ctx.deployment;
  const config::RouterSettings& router = ctx.snapshot->config.router;
  double total = d.timeout_s > 0 ? d.timeout_s : router.timeout_s;
  double first_byte = total;
  if (ctx.request.stream) {
    double stream = d.stream_timeout_s > 0 ? d.stream_timeout_s : router.stream_timeout_s;
    if (stream > 0) first_byte = stream;
  }
  net::UpstreamTimeouts t;
  t.connect_ms = std::min<uint32_t>(10000, Millis(total));
  t.first_byte_ms = Millis(first_byte);
  t.total_ms = Millis(total);
  return t;
}

}  // namespace

Next CallUpstream(RequestContext& ctx) {
  const config::Deployment& d = *ctx.deployment;
  const runtime::UpstreamTarget& target = ctx.snapshot->targets[ctx.deployment_index];
  Result<std::string> body = providers::openai::RewriteRequest(
      ctx.exchange->request().body, d.upstream_model, /*ask_usage=*/ctx.request.stream);
  if (!body.ok()) {
    ReplyError(ctx, body.status(), "invalid_request_body");
    return Next::kReplied;
  }

  net::UpstreamRequest req;
  req.origin = target.origin;
  req.method = "POST";
  req.path = target.base_path +
             (ctx.api == Api::kEmbeddings ? "/embeddings" : "/chat/completions");
  req.headers.Add("Content-Type", "application/json");
  req.headers.Add("Accept", ctx.request.stream ? "text/event-stream" : "application/json");
  if (!d.api_key.empty()) req.headers.Add("Authorization", "Bearer " + d.api_key);
  req.headers.Add("User-Agent", "llm-edge");
  req.body = std::move(body).value();
  req.timeouts = TimeoutsFor(ctx);

  ++ctx.attempts;
  ctx.StopOwnTime();  // from here until the upstream answers, the time is the provider's
  ctx.call = ctx.services.upstream->Start(std::move(req), &ctx);
  return Next::kPending;
}

}  // namespace edge::pipeline
