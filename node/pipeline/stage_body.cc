#include <ctime>

#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"
#include "providers/openai/openai.h"

namespace edge::pipeline {

Next InspectBody(RequestContext& ctx) {
  const std::string& body = ctx.exchange->request().body;
  // A stateful Responses request can only pass through to OpenAI: it is routed on its model
  // like a chat body, and the attempt refuses other providers (stage_upstream.cc).
  const std::string_view stateful =
      ctx.api == Api::kResponses ? providers::api::ResponsesStatefulFeature(body) : "";
  if (ctx.api == Api::kChatCompletions || ctx.api == Api::kEmbeddings || !stateful.empty()) {
    // Sent upstream as it came: validate and read what routing needs, copy nothing.
    Result<providers::openai::RequestInfo> info = providers::openai::InspectRequest(body);
    if (!info.ok()) {
      ReplyError(ctx, info.status(), "invalid_request_body");
      return Next::kReplied;
    }
    ctx.request.model = std::move(info->model);
    ctx.request.stream = info->stream;
    ctx.request.client_wants_usage = info->client_wants_usage;
    ctx.stateful_feature = std::string(stateful);
    ctx.body_inspected = true;
    ctx.body_estimate = info->estimate;
  } else {
    Result<providers::api::CanonicalRequest> canonical = ctx.client_api->ToCanonical(body);
    if (!canonical.ok()) {
      ReplyError(ctx, canonical.status(), "invalid_request_body");
      return Next::kReplied;
    }
    ctx.request = std::move(canonical).value();
  }
  ctx.request.created = static_cast<int64_t>(std::time(nullptr));
  if (ctx.api == Api::kEmbeddings && ctx.request.stream) {
    ReplyError(ctx, InvalidArgument("Embeddings cannot be streamed."), "invalid_request_body");
    return Next::kReplied;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
