#include <string>

#include "node/pipeline/stages.h"
#include "node/runtime/log.h"

namespace edge::pipeline {

// Records how the request ended. Failures the node or its upstreams caused are logged;
// the ledger record and the audit entry join here with the ledger module.
void Finalize(RequestContext& ctx) {
  ctx.StopOwnTime();
  if (ctx.outcome.ok() || ctx.outcome.code() == Code::kUnauthenticated ||
      ctx.outcome.code() == Code::kInvalidArgument || ctx.outcome.code() == Code::kNotFound ||
      ctx.outcome.code() == Code::kPermissionDenied) {
    return;
  }
  std::string status = std::to_string(ctx.reply_status);
  std::string upstream = std::to_string(ctx.upstream_status);
  log::Warn("request failed",
            {{"request_id", ctx.request_id},
             {"deployment", ctx.deployment != nullptr ? ctx.deployment->id : ""},
             {"status", status},
             {"upstream_status", upstream},
             {"error", ctx.outcome.ToString()}});
}

}  // namespace edge::pipeline
