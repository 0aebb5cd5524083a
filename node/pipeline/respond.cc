// Turns the upstream's answer into the client's: a stream relayed event by event, or a
// whole body with its usage read; upstream failures mapped to the client's error shape.

#include <simdjson.h>

#include "node/pipeline/edge_headers.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/pipeline.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

// A non-streaming answer larger than this is refused rather than held in memory.
constexpr size_t kMaxUpstreamBody = 64u << 20;

// The provider's own error message, when its body is OpenAI-shaped.
std::string UpstreamMessage(const std::string& body) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return {};
  std::string_view message;
  if (doc["error"]["message"].get_string().get(message) != simdjson::SUCCESS) return {};
  return std::string(message);
}

void StartClientStream(RequestContext& ctx) {
  ctx.StopOwnTime();
  net::HeaderList headers;
  headers.Add("Content-Type", ctx.upstream_content_type.empty() ? "text/event-stream"
                                                                : ctx.upstream_content_type);
  headers.Add("Cache-Control", "no-cache");
  AddEdgeHeaders(ctx, headers, /*success=*/true);
  ctx.reply_status = 200;
  ctx.exchange->SendHead(200, headers, std::nullopt);
  ctx.streaming_to_client = true;
  ctx.relay.emplace(ctx.request.client_wants_usage);
}

// Ends a stream that broke after it started: an SSE error event, then a clean end, so the
// client never hangs on a half stream.
void EndStreamWithError(RequestContext& ctx, const Status& why) {
  ctx.outcome = why;
  if (ctx.exchange == nullptr) return;
  std::string event = providers::openai::StreamErrorEvent(
      "upstream stream failed: " + why.message(), "api_error", "upstream_stream_broken");
  ctx.exchange->SendBody(event);
  if (ctx.exchange == nullptr) return;
  ctx.exchange->End();
  ctx.exchange = nullptr;
}

// The upstream answered with an error status: tell the client in its API's shape.
void ReplyUpstreamError(RequestContext& ctx) {
  int status = ctx.upstream_status;
  std::string detail = UpstreamMessage(ctx.upstream_body);
  std::string who = "upstream " + ctx.deployment->id + " answered " + std::to_string(status);
  std::string message = detail.empty() ? who : who + ": " + detail;
  if (status == 429) {
    ReplyError(ctx, {Code::kResourceExhausted, message}, "upstream_rate_limited",
               ctx.upstream_retry_after);
  } else if (status >= 500) {
    ReplyError(ctx, Unavailable(message), "upstream_error");
  } else if (status == 401 || status == 403) {
    // The deployment's credentials are wrong: that is the operator's problem, not the caller's.
    ReplyError(ctx, Unavailable(message), "upstream_auth_failed");
  } else {
    // A 4xx about the request itself (bad parameters): the caller needs the provider's words.
    ctx.outcome = InvalidArgument(message);
    ctx.reply_status = status;
    net::HeaderList headers;
    headers.Add("Content-Type", ctx.upstream_content_type.empty() ? "application/json"
                                                                  : ctx.upstream_content_type);
    AddEdgeHeaders(ctx, headers, /*success=*/false);
    ctx.exchange->Reply(status, headers, ctx.upstream_body);
    ctx.exchange = nullptr;
  }
}

void ReplyWhole(RequestContext& ctx) {
  ctx.usage = providers::openai::ExtractUsage(ctx.upstream_body);
  ctx.StopOwnTime();
  net::HeaderList headers;
  headers.Add("Content-Type", ctx.upstream_content_type.empty() ? "application/json"
                                                                : ctx.upstream_content_type);
  AddEdgeHeaders(ctx, headers, /*success=*/true);
  ctx.reply_status = ctx.upstream_status;
  ctx.exchange->Reply(ctx.upstream_status, headers, ctx.upstream_body);
  ctx.exchange = nullptr;
}

}  // namespace

void RequestContext::OnResponseHead(int status, const net::HeaderList& headers) {
  StartOwnTime();
  upstream_status = status;
  if (const std::string* v = headers.Find("content-type")) upstream_content_type = *v;
  if (const std::string* v = headers.Find("retry-after")) upstream_retry_after = *v;
  if (exchange != nullptr && request.stream && status == 200) StartClientStream(*this);
}

void RequestContext::OnResponseBody(std::string_view data) {
  if (exchange == nullptr) return;
  if (!streaming_to_client) {
    if (upstream_body.size() + data.size() > kMaxUpstreamBody) {
      call->Cancel();
      ReplyError(*this, Unavailable("upstream answer larger than 64 MiB"), "upstream_error");
      CompleteRequest(*this);
      return;
    }
    upstream_body.append(data);
    return;
  }
  StartOwnTime();
  std::string out;
  relay->Feed(data, &out);
  StopOwnTime();
  if (!out.empty() && !exchange->SendBody(out) && exchange != nullptr) call->PauseBody();
  if (relay->failed() && exchange != nullptr) {
    call->Cancel();
    upstream_done = true;
    usage = relay->usage();
    EndStreamWithError(*this, Unavailable("upstream sent an SSE event over the size limit"));
    CompleteRequest(*this);
  }
}

void RequestContext::OnResponseComplete() {
  upstream_done = true;
  if (exchange != nullptr) {
    StartOwnTime();
    if (streaming_to_client) {
      std::string tail;
      relay->Finish(&tail);
      if (!tail.empty()) exchange->SendBody(tail);
      usage = relay->usage();
      if (exchange == nullptr) {
        // The client left while the tail was written; OnAborted has finished the request.
      } else if (relay->done()) {
        exchange->End();
        exchange = nullptr;
      } else {
        EndStreamWithError(*this, Unavailable("upstream ended the stream before [DONE]"));
      }
    } else if (upstream_status >= 200 && upstream_status < 300) {
      ReplyWhole(*this);
    } else {
      ReplyUpstreamError(*this);
    }
  }
  CompleteRequest(*this);
}

void RequestContext::OnError(const Status& status, bool head_received) {
  upstream_done = true;
  if (exchange != nullptr) {
    StartOwnTime();
    if (streaming_to_client) {
      usage = relay->usage();
      EndStreamWithError(*this, status);
    } else {
      ReplyError(*this,
                 {status.code(), "upstream " + deployment->id + ": " + status.message()},
                 status.code() == Code::kDeadlineExceeded ? "upstream_timeout"
                                                          : "upstream_unavailable");
    }
  }
  CompleteRequest(*this);
}

void RequestContext::OnWritable(net::ServerExchange&) {
  if (call != nullptr && !upstream_done) call->ResumeBody();
}

void RequestContext::OnAborted(net::ServerExchange&) {
  exchange = nullptr;
  if (outcome.ok()) outcome = Cancelled("the client closed the connection");
  if (call != nullptr && !upstream_done) {
    call->Cancel();
    upstream_done = true;
  }
  if (relay) usage = relay->usage();
  CompleteRequest(*this);
}

}  // namespace edge::pipeline
