#include "node/pipeline/request_context.h"

#include "common/event_clock.h"

namespace edge::pipeline {

std::string_view CanonicalBody(const RequestContext& ctx) {
  if (!ctx.request.openai_body.empty()) return ctx.request.openai_body;
  return ctx.exchange->request().body;
}

int64_t NowMicros() { return event_clock::MonotonicMicros(); }

int64_t FreshNowMicros() { return event_clock::FreshMonotonicMicros(); }

RequestContext::RequestContext(const WorkerServices& services, net::ServerExchange& exchange,
                               Api api)
    : services(services),
      snapshot(services.snapshot_cache != nullptr ? services.snapshot_cache->Load()
                                                  : services.snapshots->Load()),
      request_id(exchange.request_id()),
      exchange(&exchange),
      api(api),
      client_api(api == Api::kMessages    ? &providers::api::AnthropicMessagesApi()
                 : api == Api::kResponses ? &providers::api::ResponsesApi()
                                          : &providers::api::OpenAiChatApi()) {
  // The node's own time starts when the request was fully read.
  started_us = exchange.request().started_us;
  own_time_started_us = exchange.request().complete_us;
  if (own_time_started_us == 0) own_time_started_us = NowMicros();
  if (services.ledger != nullptr) {
    response_hold.emplace(exchange, &upstream_ending);
    this->exchange = &*response_hold;
    response_hold->SetObserver(this);
  } else {
    exchange.SetObserver(this);
  }
}

RequestContext::~RequestContext() {
  // An attempt still open here ended with the request (CompleteRequest closes the usual ones):
  // its in-flight count and probe go back.
  if (route.attempt_open()) {
    route.End(routing::AttemptOutcome::kCancelled, 0, -1, 0, 0, routing::NowMs());
  }
}

void RequestContext::StartOwnTime() {
  if (own_time_started_us == 0) own_time_started_us = NowMicros();
}

void RequestContext::StopOwnTime() {
  if (own_time_started_us == 0) return;
  overhead_us += FreshNowMicros() - own_time_started_us;
  own_time_started_us = 0;
}

}  // namespace edge::pipeline
