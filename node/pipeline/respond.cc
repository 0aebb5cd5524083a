// Turns the upstream's answer into the client's: a stream relayed as it flows (held back
// until content starts, up to kMaxHeldBeforeContent, so that a failing deployment can still
// be replaced unseen), or a whole body; failures classified, retried on the next candidate
// where allowed, else shown in the client API's error shape.

#include <algorithm>

#include "node/pipeline/attempt.h"
#include "node/pipeline/edge_headers.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/pipeline.h"
#include "node/pipeline/stages.h"
#include "node/pipeline/stored_responses.h"
#include "providers/anthropic/adapter.h"
#include "providers/anthropic/passthrough.h"
#include "providers/openai/adapter.h"
#include "providers/openai/openai.h"
#include "providers/usage_estimate.h"

namespace edge::pipeline {
namespace {

// A non-streaming answer larger than this is refused rather than held in memory.
constexpr size_t kMaxUpstreamBody = 64u << 20;

// What a stream may hold back before its content starts. Holding is what lets a deployment
// that fails before any content be dropped for the next one unseen; but while the node holds,
// the client has nothing to push back with, so the upstream is never paused, and an upstream
// sending only SSE comments grew a node by gigabytes. Real preambles are far smaller (a role
// chunk, message_start, the Responses API's response.created echoing instructions and tools).
// Past this the node commits to the stream: the head and what is held go to the client, and
// back-pressure holds the upstream again. Failing the attempt instead would turn a request
// with a legitimately large preamble into a 502 on every deployment.
constexpr size_t kMaxHeldBeforeContent = 256u << 10;

const providers::Adapter& AdapterOf(const RequestContext& ctx) {
  if (ctx.mode == Mode::kAnthropicPassthrough) return providers::anthropic::AnthropicAdapter();
  if (ctx.mode != Mode::kTranslated) return providers::openai::OpenAiAdapter();
  return *ctx.snapshot->targets[ctx.deployment_index].adapter;
}

std::unique_ptr<StreamRelay> NewRelay(const RequestContext& ctx) {
  switch (ctx.mode) {
    case Mode::kOpenAiPassthrough: return NewOpenAiChatRelay(ctx.request.client_wants_usage);
    case Mode::kAnthropicPassthrough: return NewAnthropicRelay();
    case Mode::kResponsesPassthrough: return NewResponsesRelay();
    case Mode::kTranslated: break;
  }
  return NewTranslatingRelay(AdapterOf(ctx), *ctx.client_api, ctx.request);
}

void SendClientHead(RequestContext& ctx) {
  ctx.StopOwnTime();
  net::HeaderList& headers = ReplyHeaders();
  headers.Add("Content-Type", "text/event-stream; charset=utf-8");
  headers.Add("Cache-Control", "no-cache");
  AddEdgeHeaders(ctx, headers, /*success=*/true);
  ctx.reply_status = 200;
  ctx.exchange->SendHead(200, headers, std::nullopt);
  ctx.streaming_to_client = true;
}

// Sends `out`, or holds it back while no content has flowed yet and little is held.
void Forward(RequestContext& ctx, std::string& out, bool force_head) {
  if (!ctx.streaming_to_client) {
    ctx.held.append(out);
    out.clear();
    if (!ctx.relay->content_started() && !force_head &&
        ctx.held.size() <= kMaxHeldBeforeContent) {
      return;
    }
    SendClientHead(ctx);
    out.swap(ctx.held);
  }
  if (!out.empty() && !ctx.exchange->SendBody(out) && ctx.call != nullptr && !ctx.upstream_done) {
    ctx.call->PauseBody();
  }
}

double MillisSince(int64_t start_us) {
  return static_cast<double>(NowMicros() - start_us) / 1000.0;
}

// Tells the router how the attempt went; latency_ms < 0: no sample.
void EndAttempt(RequestContext& ctx, routing::AttemptOutcome outcome, double latency_ms,
                int64_t retry_after_ms = 0) {
  uint64_t tokens = 0;
  if (ctx.usage) {
    tokens = static_cast<uint64_t>(std::max<int64_t>(0, ctx.usage->input_tokens) +
                                   std::max<int64_t>(0, ctx.usage->output_tokens));
  }
  ctx.route.End(outcome, ctx.upstream_status, latency_ms, retry_after_ms, tokens, routing::NowMs());
}

// A successful attempt's latency sample: time to first byte for streams, total time per
// output token for whole answers (so long answers do not look like slow deployments).
void EndAttemptOk(RequestContext& ctx) {
  double sample = ctx.request.stream ? static_cast<double>(ctx.first_byte_us - ctx.attempt_started_us) / 1000.0
                                     : MillisSince(ctx.attempt_started_us) /
                                           static_cast<double>(std::max<int64_t>(
                                               1, ctx.usage ? ctx.usage->output_tokens : 1));
  EndAttempt(ctx, routing::AttemptOutcome::kOk, sample);
}

// What a failed attempt was, for cooldowns and the audit record.
routing::AttemptOutcome FailureOutcome(const RequestContext& ctx, const providers::ProviderError& e) {
  if (ctx.upstream_status == 0) {
    return e.status == 504 ? routing::AttemptOutcome::kTimeout : routing::AttemptOutcome::kConnectError;
  }
  if (ctx.upstream_status < 200 || ctx.upstream_status >= 300) {
    return e.retryable ? routing::AttemptOutcome::kRetryableStatus : routing::AttemptOutcome::kRejected;
  }
  return routing::AttemptOutcome::kConnectError;  // a 2xx whose body or stream broke
}

// The router gave up after failed attempts. A request that tried one deployment gets its
// answer (a 429 with its Retry-After, a 502): that is all there was to say. One that tried
// several, ran out of retry budget, or is pinned away from deployments it would otherwise
// have had gets the 503 naming the model, the jurisdiction it is pinned to and the last
// upstream failure: it failed because every compliant deployment did.
void ReplyGaveUp(RequestContext& ctx, const providers::ProviderError& error) {
  const routing::Decision& d = ctx.route.decision;
  size_t distinct = 0;
  for (size_t i = 0; i < d.attempts.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i; ++j) seen |= d.attempts[j].deployment_index == d.attempts[i].deployment_index;
    distinct += seen ? 0 : 1;
  }
  std::string who = "upstream " + ctx.deployment->id;
  const bool pinned_away = !d.pinned_jurisdiction.empty() && ctx.route.residency_filtered();
  if (!pinned_away && distinct <= 1 && d.refusal != routing::Refusal::kRetryBudget) {
    Code code = error.status == 429   ? Code::kResourceExhausted
                : error.status == 504 ? Code::kDeadlineExceeded
                : error.status == 503 ? Code::kFailedPrecondition
                : error.status >= 500 ? Code::kUnavailable
                                      : Code::kInvalidArgument;
    ReplyError(ctx, {code, who + ": " + error.message}, error.type, error.retry_after);
    return;
  }
  std::string where = d.pinned_jurisdiction.empty()
                          ? std::string()
                          : " in " + std::string(d.pinned_jurisdiction) + ", where this request's data must stay,";
  std::string why = d.refusal == routing::Refusal::kRetryBudget ? " (the node's retry budget is spent)" : "";
  ReplyError(ctx,
             {Code::kFailedPrecondition, "No deployment of '" + ctx.request.model + "'" + where +
                                             " could answer" + why + "; last failure: " + who + ": " +
                                             error.message},
             "no_healthy_deployment", error.retry_after);
}

void EndClientStream(RequestContext& ctx) {
  ctx.exchange->End();
  ctx.exchange = nullptr;
}

// The answer failed with `error`. Before the client saw anything, another deployment may
// take over; otherwise the client gets the failure in its API's shape.
void Fail(RequestContext& ctx, const providers::ProviderError& error) {
  ctx.last_error = error;
  if (ctx.call != nullptr && !ctx.upstream_done) ctx.call->Cancel();
  ctx.upstream_done = ctx.upstream_ending = true;
  // Content reached the client: the provider bills this stream, so the node does too. A
  // stream that failed before any content (even one whose long preamble was sent on) is an
  // error the provider does not bill.
  ctx.usage.reset();
  if (ctx.relay && ctx.streaming_to_client && ctx.relay->content_started()) {
    ctx.usage = BilledStreamUsage(*ctx.relay, ctx.exchange->request().body);
  }
  std::string who = "upstream " + ctx.deployment->id;
  EndAttempt(ctx, FailureOutcome(ctx, error), -1, routing::RetryAfterMs(error.retry_after));
  if (!ctx.streaming_to_client) {
    if (error.retryable && TryNextDeployment(ctx)) return;
    ReplyGaveUp(ctx, error);
  } else {
    ctx.outcome = error.status == 504 ? DeadlineExceeded(who + ": " + error.message)
                                      : Unavailable(who + ": " + error.message);
    std::string out;
    ctx.relay->Fail("upstream stream failed: " + error.message, &out);
    if (!out.empty()) ctx.exchange->SendBody(out);
    EndClientStream(ctx);
  }
  CompleteRequest(ctx);
}

providers::ProviderError FromStatus(const Status& s) {
  providers::ProviderError e;
  e.status = s.code() == Code::kDeadlineExceeded ? 504 : 502;
  e.retryable = s.code() != Code::kCancelled;
  e.type = s.code() == Code::kDeadlineExceeded ? "upstream_timeout" : "upstream_unavailable";
  e.message = s.message();
  return e;
}

// A 2xx whole answer, in the client's shape.
void ReplyWhole(RequestContext& ctx) {
  std::string translated;
  std::string_view body = ctx.upstream_body;
  if (ctx.mode == Mode::kAnthropicPassthrough) {
    ctx.usage = providers::anthropic::ExtractUsage(body);
  } else if (ctx.mode != Mode::kTranslated) {
    ctx.usage = providers::openai::ExtractUsage(body);
  } else if (ctx.api == Api::kEmbeddings) {
    providers::Usage usage;
    const providers::Target& target = ctx.snapshot->targets[ctx.deployment_index].provider_target;
    Result<std::string> r = AdapterOf(ctx).ParseEmbeddings(target, body, &usage);
    if (!r.ok()) return Fail(ctx, {502, true, "malformed_response", r.status().message(), {}});
    ctx.usage = usage;
    translated = std::move(r).value();
  } else {
    Result<providers::ChatResponse> r = AdapterOf(ctx).ParseChat(body);
    if (!r.ok()) return Fail(ctx, {502, true, "malformed_response", r.status().message(), {}});
    ctx.usage = r->usage;
    // Anthropic, Bedrock and Gemini answers carry no creation time: the request's it is.
    if (r->created == 0) r->created = ctx.request.created;
    translated = ctx.client_api->EncodeResponse(*r, ctx.request.model);
    if (ctx.api == Api::kResponses) KeepResponse(ctx, translated);
  }
  ctx.StopOwnTime();
  net::HeaderList& headers = ReplyHeaders();
  headers.Add("Content-Type", ctx.mode == Mode::kTranslated || ctx.upstream_content_type.empty()
                                  ? "application/json"
                                  : ctx.upstream_content_type);
  AddEdgeHeaders(ctx, headers, /*success=*/true);
  ctx.reply_status = 200;
  EndAttemptOk(ctx);
  ctx.exchange->Reply(200, headers, ctx.mode == Mode::kTranslated ? translated : body);
  ctx.exchange = nullptr;
  CompleteRequest(ctx);
}

// A non-2xx answer: fall back when the provider says it is passing (429, 529, 5xx); a
// request the provider refuses is the caller's to fix, in the provider's own words.
void ReplyUpstreamStatus(RequestContext& ctx) {
  providers::ProviderError e =
      AdapterOf(ctx).ClassifyError(ctx.upstream_status, ctx.upstream_retry, ctx.upstream_body);
  if (e.retryable || ctx.mode == Mode::kTranslated || e.status >= 500) return Fail(ctx, e);
  // Same API on both sides and a 4xx about the request: the provider's body passes as is.
  EndAttempt(ctx, routing::AttemptOutcome::kRejected, -1);
  ctx.outcome = InvalidArgument("upstream " + ctx.deployment->id + " answered " +
                                std::to_string(ctx.upstream_status) + ": " + e.message);
  ctx.reply_status = ctx.upstream_status;
  net::HeaderList& headers = ReplyHeaders();
  headers.Add("Content-Type", ctx.upstream_content_type.empty() ? "application/json"
                                                                : ctx.upstream_content_type);
  AddEdgeHeaders(ctx, headers, /*success=*/false);
  ctx.exchange->Reply(ctx.upstream_status, headers, ctx.upstream_body);
  ctx.exchange = nullptr;
  CompleteRequest(ctx);
}

}  // namespace

void RequestContext::OnResponseHead(int status, const net::HeaderList& headers) {
  StartOwnTime();
  first_byte_us = NowMicros();
  upstream_status = status;
  if (const std::string* v = headers.Find("content-type")) upstream_content_type = *v;
  // Only an answer that is no success reads its retry hints (ReplyUpstreamStatus).
  if (status < 200 || status >= 300) {
    if (const std::string* v = headers.Find("retry-after")) upstream_retry.retry_after = *v;
    const std::string* ms = headers.Find("retry-after-ms");
    if (ms == nullptr) ms = headers.Find("x-ms-retry-after-ms");
    if (ms != nullptr) upstream_retry.retry_after_ms = *ms;
  }
  if (request.stream && status >= 200 && status < 300) relay = NewRelay(*this);
}

void RequestContext::OnResponseBody(std::string_view data) {
  if (exchange == nullptr) return;
  if (relay == nullptr) {
    if (upstream_body.size() + data.size() > kMaxUpstreamBody) {
      return Fail(*this, {502, false, "upstream_error", "upstream answer larger than 64 MiB", {}});
    }
    upstream_body.append(data);
    return;
  }
  StartOwnTime();
  std::string& out = relay_out;
  out.clear();
  relay->Feed(data, &out);
  if (std::optional<providers::ProviderError> error = relay->error()) {
    // Whole events that came before the error still go to a client already streaming.
    if (streaming_to_client && !out.empty()) exchange->SendBody(out);
    return Fail(*this, *error);
  }
  Forward(*this, out, /*force_head=*/false);
  StopOwnTime();
}

// The stream's last bytes, with its end right behind them: what the relay makes of them (the
// final events, [DONE]) is held and goes out with the end, in one write, once the record is
// durable, as what comes after the end does (held_exchange.h).
void RequestContext::OnResponseLastBody(std::string_view data) {
  upstream_ending = true;
  OnResponseBody(data);
}

void RequestContext::OnResponseComplete() {
  upstream_done = upstream_ending = true;
  if (exchange == nullptr) return CompleteRequest(*this);
  StartOwnTime();
  if (relay == nullptr) {
    if (upstream_status >= 200 && upstream_status < 300) return ReplyWhole(*this);
    return ReplyUpstreamStatus(*this);
  }
  std::string& out = relay_out;
  out.clear();
  relay->Finish(&out);
  if (std::optional<providers::ProviderError> error = relay->error()) {
    if (streaming_to_client && !out.empty()) exchange->SendBody(out);
    return Fail(*this, *error);
  }
  if (!relay->done()) {
    if (streaming_to_client && !out.empty()) exchange->SendBody(out);
    return Fail(*this, {502, true, "upstream_stream_broken",
                        "the provider ended the stream before its end marker", {}});
  }
  usage = BilledStreamUsage(*relay, exchange->request().body);
  if (api == Api::kResponses && mode == Mode::kTranslated) KeepResponse(*this, relay->final_response());
  EndAttemptOk(*this);
  Forward(*this, out, /*force_head=*/true);
  EndClientStream(*this);
  CompleteRequest(*this);
}

void RequestContext::OnError(const Status& status, bool head_received) {
  upstream_done = upstream_ending = true;
  if (exchange == nullptr) return CompleteRequest(*this);
  StartOwnTime();
  Fail(*this, FromStatus(status));
}

void RequestContext::OnWritable(net::ServerExchange&) {
  if (call != nullptr && !upstream_done) call->ResumeBody();
}

void RequestContext::OnAborted(net::ServerExchange& ex) {
  exchange = nullptr;
  if (outcome.ok()) outcome = Cancelled("the client closed the connection");
  if (state_read_pending) return;  // the store read's job completes the request when back
  if (call != nullptr && !upstream_done) {
    // A provider that had the request has begun to work, and to bill: so does the node,
    // with what is known so far, estimated where the provider did not say.
    if (call->sent()) {
      usage = relay ? BilledStreamUsage(*relay, ex.request().body)
                    : providers::UsageSoFar(std::nullopt, 0, ex.request().body);
    }
    call->Cancel();
    upstream_done = upstream_ending = true;
  }
  CompleteRequest(*this);
}

}  // namespace edge::pipeline
