#include "node/pipeline/pipeline.h"

#include <span>

#include "node/pipeline/edge_headers.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

using Stage = Next (*)(RequestContext&);

// The order is the contract of DESIGN.md's pipeline: who you are, where your data may go,
// whom to bill, what you asked for, whether you may spend it, who serves it.
constexpr Stage kInferenceStages[] = {Authenticate,           ClassifyJurisdiction, ResolveTags,
                                      InspectBody,            ResolveStoredResponses, CheckBudget,
                                      ResolveModel,           CallUpstream};
constexpr Stage kModelsStages[] = {Authenticate, ClassifyJurisdiction, ListModels};

struct Endpoint {
  std::string_view method;
  std::string_view path;
  Api api;
  std::span<const Stage> stages;
};

constexpr Endpoint kEndpoints[] = {
    {"POST", "/v1/chat/completions", Api::kChatCompletions, kInferenceStages},
    {"POST", "/v1/embeddings", Api::kEmbeddings, kInferenceStages},
    {"POST", "/v1/messages", Api::kMessages, kInferenceStages},
    {"POST", "/v1/responses", Api::kResponses, kInferenceStages},
    {"GET", "/v1/models", Api::kModels, kModelsStages},
};

// Unknown paths and wrong methods, answered before any stage runs.
void ReplyNoEndpoint(const WorkerServices& services, net::ServerExchange& ex, bool path_known) {
  RequestContext* ctx = new RequestContext(services, ex, Api::kModels);
  if (path_known) {
    ReplyError(*ctx, InvalidArgument("Method " + ex.request().method + " is not allowed here."),
               "method_not_allowed");
  } else {
    ReplyError(*ctx, NotFound("Unknown path " + std::string(ex.request().path()) + "."),
               "unknown_path");
  }
  CompleteRequest(*ctx);
}

void RunStages(RequestContext& ctx, std::span<const Stage> stages) {
  for (Stage stage : stages) {
    Next next = stage(ctx);
    if (next == Next::kPending) return;
    if (next == Next::kReplied) break;
  }
  CompleteRequest(ctx);
}

}  // namespace

void ClientApiHandler::OnRequest(net::ServerExchange& ex) {
  std::string_view path = ex.request().path();
  const Endpoint* endpoint = nullptr;
  bool path_known = false;
  for (const Endpoint& e : kEndpoints) {
    if (e.path != path) continue;
    path_known = true;
    if (e.method == ex.request().method) endpoint = &e;
  }
  if (endpoint == nullptr) {
    ReplyNoEndpoint(services_, ex, path_known);
    return;
  }
  RunStages(*new RequestContext(services_, ex, endpoint->api), endpoint->stages);
}

void ResumeAfterStoredState(RequestContext& ctx) {
  std::span<const Stage> stages(kInferenceStages);
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i] == ResolveStoredResponses) return RunStages(ctx, stages.subspan(i + 1));
  }
}

void CompleteRequest(RequestContext& ctx) {
  if (ctx.finalized) return;
  ctx.finalized = true;
  // An attempt cut short (the client went away) ends before the decision is recorded.
  if (ctx.route.attempt_open()) {
    ctx.route.End(routing::AttemptOutcome::kCancelled, ctx.upstream_status, -1, 0, 0, routing::NowMs());
  }
  Finalize(ctx);
  // A request waiting for its ledger record is deleted by the ledger's job (ledger_commit.cc).
  if (!ctx.commit_pending) ctx.services.deleter->Delete(&ctx);
}

}  // namespace edge::pipeline
