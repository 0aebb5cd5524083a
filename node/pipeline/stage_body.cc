#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {

Next InspectBody(RequestContext& ctx) {
  Result<providers::openai::RequestInfo> info =
      providers::openai::InspectRequest(ctx.exchange->request().body);
  if (!info.ok()) {
    ReplyError(ctx, info.status(), "invalid_request_body");
    return Next::kReplied;
  }
  ctx.request = std::move(info).value();
  if (ctx.api == Api::kEmbeddings && ctx.request.stream) {
    ReplyError(ctx, InvalidArgument("Embeddings cannot be streamed."), "invalid_request_body");
    return Next::kReplied;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
