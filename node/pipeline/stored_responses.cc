#include "node/pipeline/stored_responses.h"

#include <ctime>
#include <map>

#include "ledger/loop_job.h"
#include "ledger/response_store.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/pipeline.h"
#include "node/runtime/ledger_service.h"
#include "node/runtime/log.h"
#include "providers/api/responses_state.h"

namespace edge::pipeline {
namespace {

bool StoreOn(const RequestContext& ctx) {
  return ctx.api == Api::kResponses && ctx.snapshot != nullptr &&
         ctx.snapshot->config.responses.store && ctx.services.ledger != nullptr &&
         ctx.services.ledger_inbox != nullptr;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// Makes the request's canonical form the resolved conversation. A body whose resolution
// still needs state no store holds (conversation, background) stays refused for other
// providers as before.
void UseResolved(RequestContext& ctx, const std::string& resolved) {
  if (!providers::api::ResponsesStatefulFeature(resolved).empty()) return;
  Result<providers::api::CanonicalRequest> canonical = ctx.client_api->ToCanonical(resolved);
  if (!canonical.ok()) {
    // The same refusal a body sent whole would get, once a translating attempt is tried.
    ctx.state_error = canonical.status().message();
    ctx.state_error_code = "invalid_request_body";
    return;
  }
  const int64_t created = ctx.request.created;
  ctx.request = std::move(canonical).value();
  ctx.request.created = created;
  ctx.state_resolved = true;
  ctx.body_inspected = false;  // ctx.request no longer reads the client's body
  ctx.body_estimate.reset();
  Result<std::string> items = providers::api::ResponsesInputItems(resolved);
  if (items.ok()) ctx.store_input = std::move(items).value();
}

// Reads what a request names from the store. It runs as a job of the ledger's writer: the
// store's reads happen on the writer thread, never on the event loop (a Get that misses the
// memtable and block cache reads from disk, which would stall every request of the worker),
// and in order after every commit submitted before it, so a turn whose answer this worker
// (or any worker, once answered) has delivered is there to read. The job writes nothing.
class StateReadJob final : public ledger::LoopJob {
 public:
  StateReadJob(RequestContext& ctx, providers::api::ResponsesStateRefs refs)
      : LoopJob(*ctx.services.ledger_inbox), ctx_(ctx), refs_(std::move(refs)),
        now_s_(NowSeconds()) {}

  Status Fill(rocksdb::WriteBatch&, ledger::Store& store) override {
    if (!refs_.previous_response_id.empty()) {
      auto r = ledger::ReadStored(store, ledger::StoredResponseKey(refs_.previous_response_id),
                                  now_s_);
      if (!r.ok()) return ReadOutcome(r.status());
      previous_ = std::move(r).value();
    }
    for (const std::string& id : refs_.item_ids) {
      auto r = ledger::ReadStored(store, ledger::StoredItemKey(id), now_s_);
      if (!r.ok()) return ReadOutcome(r.status());
      items_[id] = std::move(r).value();
    }
    return ReadOutcome(Status::Ok());
  }

  void OnLoopDone(Status status) override {
    RequestContext& ctx = ctx_;
    ctx.state_read_pending = false;
    // The reads are valid whatever became of the (empty) round's write.
    if (!read_) read_status_ = status.ok() ? Unavailable("the response store did not answer") : status;
    if (ctx.exchange == nullptr) return CompleteRequest(ctx);  // the client went away
    if (!read_status_.ok()) {
      log::Error("stored responses not read", {{"request_id", ctx.request_id},
                                               {"error", read_status_.ToString()}});
      ReplyError(ctx, Unavailable("The response store is unavailable; retry."),
                 "store_unavailable");
      return CompleteRequest(ctx);
    }
    const std::string& body = ctx.exchange->request().body;
    std::string code;
    Result<std::string> resolved = providers::api::ResolveResponsesState(
        body, previous_,
        [&](std::string_view id) -> std::optional<std::string> {
          auto it = items_.find(std::string(id));
          return it != items_.end() ? it->second : std::nullopt;
        },
        &code);
    if (resolved.ok()) {
      UseResolved(ctx, *resolved);
    } else {
      // Not stored here (never, expired, or another node's): an OpenAI deployment may still
      // know it, so only translating attempts are refused, naming the id (stage_upstream.cc).
      ctx.state_error = resolved.status().message();
      ctx.state_error_code = code.empty() ? "invalid_request_body" : code;
    }
    ResumeAfterStoredState(ctx);
  }

 private:
  Status ReadOutcome(Status s) {
    read_ = true;
    read_status_ = std::move(s);
    return Status::Ok();  // a failed read is the request's, never the round's
  }

  RequestContext& ctx_;
  providers::api::ResponsesStateRefs refs_;
  int64_t now_s_;
  bool read_ = false;  // Fill ran (writer thread; read on the loop after the hand-over)
  Status read_status_;
  std::optional<std::string> previous_;
  std::map<std::string, std::optional<std::string>> items_;
};

}  // namespace

Next ResolveStoredResponses(RequestContext& ctx) {
  if (!StoreOn(ctx)) return Next::kContinue;
  const std::string& body = ctx.exchange->request().body;
  if (ctx.stateful_feature != "previous_response_id" && ctx.stateful_feature != "item_reference") {
    if (ctx.stateful_feature.empty()) {
      Result<std::string> items = providers::api::ResponsesInputItems(body);
      if (items.ok()) ctx.store_input = std::move(items).value();
    }
    return Next::kContinue;
  }
  providers::api::ResponsesStateRefs refs = providers::api::ResponsesStoredRefs(body);
  ctx.state_read_pending = true;
  ctx.services.ledger_inbox->Submit(ctx.services.ledger->writer(),
                                    std::make_unique<StateReadJob>(ctx, std::move(refs)));
  return Next::kPending;
}

void KeepResponse(RequestContext& ctx, std::string_view response) {
  if (ctx.store_input.empty() || response.empty() || !StoreOn(ctx)) return;
  Result<providers::api::ResponsesToStore> keep =
      providers::api::ResponsesConversation(ctx.store_input, response);
  if (!keep.ok()) {
    log::Warn("response not stored", {{"request_id", ctx.request_id},
                                      {"error", keep.status().ToString()}});
    return;
  }
  const int64_t expires = NowSeconds() + ctx.snapshot->config.responses.ttl_s;
  auto part = std::make_unique<ledger::StoredResponsePart>();
  part->Add(ledger::StoredResponseKey(keep->response_id),
            ledger::EncodeStoredValue(expires, keep->conversation));
  for (auto& [id, item] : keep->items) {
    part->Add(ledger::StoredItemKey(id), ledger::EncodeStoredValue(expires, item));
  }
  ctx.commit_parts.push_back(std::move(part));
}

}  // namespace edge::pipeline
