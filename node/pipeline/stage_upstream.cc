#include <algorithm>
#include <cmath>
#include <ctime>

#include "node/pipeline/attempt.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"
#include "providers/anthropic/passthrough.h"
#include "providers/openai/openai.h"

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

// The client speaks the deployment's own API: only the model changes.
Mode ModeFor(Api api, std::string_view provider) {
  if (provider == "openai" && (api == Api::kChatCompletions || api == Api::kEmbeddings)) {
    return Mode::kOpenAiPassthrough;
  }
  if (provider == "openai" && api == Api::kResponses) return Mode::kResponsesPassthrough;
  if (provider == "anthropic" && api == Api::kMessages) return Mode::kAnthropicPassthrough;
  return Mode::kTranslated;
}

Result<net::UpstreamRequest> PassthroughRequest(const RequestContext& ctx, const runtime::UpstreamTarget& target) {
  const config::Deployment& d = *ctx.deployment;
  const std::string& body = ctx.exchange->request().body;
  net::UpstreamRequest req;
  req.method = "POST";
  req.headers.Add("Content-Type", "application/json");
  if (ctx.mode == Mode::kAnthropicPassthrough) {
    EDGE_ASSIGN_OR_RETURN(req.body, providers::anthropic::RewriteModel(body, d.upstream_model));
    req.path = target.base_path + "/v1/messages";
    req.headers.Add("x-api-key", d.api_key);
    const std::string* version = ctx.exchange->request().headers.Find("anthropic-version");
    req.headers.Add("anthropic-version", version != nullptr ? *version
                                         : d.api_version.empty() ? "2023-06-01" : d.api_version);
    if (const std::string* beta = ctx.exchange->request().headers.Find("anthropic-beta")) {
      req.headers.Add("anthropic-beta", *beta);
    }
  } else {
    bool ask_usage = ctx.mode == Mode::kOpenAiPassthrough && ctx.request.stream;
    if (!ask_usage && ctx.body_inspected && ctx.request.model == d.upstream_model) {
      // Nothing to change: InspectRequest refused duplicate "model" members, so the one it
      // read is the one the upstream sees. Saves parsing the body a second time (~2.5k
      // instructions per request, bench/stages.sh).
      req.body = body;
    } else {
      EDGE_ASSIGN_OR_RETURN(req.body, providers::openai::RewriteRequest(body, d.upstream_model, ask_usage));
    }
    req.path = target.base_path + (ctx.mode == Mode::kResponsesPassthrough ? "/responses"
                                   : ctx.api == Api::kEmbeddings          ? "/embeddings"
                                                                          : "/chat/completions");
    if (!target.bearer_authorization.empty()) {
      req.headers.Add("Authorization", target.bearer_authorization);
    }
  }
  req.headers.Add("Accept", ctx.request.stream ? "text/event-stream" : "application/json");
  return req;
}

Result<net::UpstreamRequest> TranslatedRequest(const RequestContext& ctx, const runtime::UpstreamTarget& target) {
  providers::Target t = target.provider_target;
  t.now_unix_s = static_cast<int64_t>(std::time(nullptr));
  Result<providers::HttpCall> call =
      ctx.api == Api::kEmbeddings
          ? target.adapter->BuildEmbeddings(t, CanonicalBody(ctx))
          : target.adapter->BuildChat(t, CanonicalBody(ctx), ctx.request.stream);
  if (!call.ok()) return call.status();
  net::UpstreamRequest req;
  req.method = std::move(call->method);
  req.path = std::move(call->path);
  for (auto& [name, value] : call->headers) req.headers.Add(std::move(name), std::move(value));
  req.body = std::move(call->body);
  return req;
}

}  // namespace

Status StartAttempt(RequestContext& ctx) {
  const runtime::UpstreamTarget& target = ctx.snapshot->targets[ctx.deployment_index];
  ctx.mode = ModeFor(ctx.api, ctx.deployment->provider);
  if (!ctx.stateful_feature.empty() && ctx.mode != Mode::kResponsesPassthrough &&
      !ctx.state_resolved) {
    if (!ctx.state_error.empty()) return InvalidArgument(ctx.state_error);
    return InvalidArgument(ctx.stateful_feature + " is not supported by this deployment's provider (" +
                           ctx.deployment->provider + "); send the full conversation");
  }
  Result<net::UpstreamRequest> req = ctx.mode == Mode::kTranslated ? TranslatedRequest(ctx, target)
                                                                   : PassthroughRequest(ctx, target);
  if (!req.ok()) return req.status();
  req->origin = target.origin;
  req->headers.Add("User-Agent", "llm-edge");
  req->timeouts = TimeoutsFor(ctx);

  ctx.upstream_status = 0;
  ctx.upstream_content_type.clear();
  ctx.upstream_retry = {};
  ctx.upstream_body.clear();
  ctx.relay.reset();
  ctx.held.clear();
  ctx.upstream_done = ctx.upstream_ending = false;
  ++ctx.attempts;
  ctx.StopOwnTime();  // from here until the upstream answers, the time is the provider's
  ctx.attempt_started_us = NowMicros();  // StopOwnTime's fresh reading, when it took one
  ctx.call = ctx.services.upstream->Start(std::move(req).value(), &ctx);
  return Status::Ok();
}

bool TryNextDeployment(RequestContext& ctx, Status* not_expressible) {
  const config::Config& cfg = ctx.snapshot->config;
  routing::Router& router = *ctx.snapshot->router;
  for (;;) {
    std::optional<size_t> next =
        ctx.route.Next(router, routing::Rng::ForThread(), routing::NowMs(), routing::NowUnixMs());
    if (!next) return false;
    ctx.deployment_index = *next;
    ctx.deployment = &cfg.model_list[*next];
    Status started = StartAttempt(ctx);
    if (started.ok()) return true;
    // The request cannot be expressed for this deployment's provider (e.g. embeddings where
    // there are none): nothing was sent; another candidate may take it.
    ctx.route.End(routing::AttemptOutcome::kNotExpressible, 0, -1, 0, 0, routing::NowMs());
    if (not_expressible != nullptr && not_expressible->ok()) *not_expressible = started;
  }
}

Next CallUpstream(RequestContext& ctx) {
  Status not_expressible;
  if (TryNextDeployment(ctx, &not_expressible)) return Next::kPending;
  if (!not_expressible.ok()) {
    ReplyError(ctx, not_expressible,
               ctx.state_error.empty() ? "invalid_request_for_provider" : ctx.state_error_code);
  } else {
    ReplyError(ctx, {Code::kFailedPrecondition, "No deployment of '" + ctx.request.model +
                                                    "' could be tried (retry budget exhausted)."},
               "no_deployment_available");
  }
  return Next::kReplied;
}

}  // namespace edge::pipeline
