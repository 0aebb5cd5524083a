#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {

// Strongest first: the key's residency policy, then the node's own jurisdiction. (Caller-IP
// classification joins here with the geo module.) X-Edge-Residency may narrow the result,
// never widen it: a conflicting value is refused.
Next ClassifyJurisdiction(RequestContext& ctx) {
  if (!ctx.key->residency.empty()) {
    ctx.jurisdiction = {ctx.key->residency, "key"};
  } else {
    ctx.jurisdiction = {ctx.snapshot->config.node.jurisdiction, "node"};
  }
  const std::string* wanted = ctx.exchange->request().headers.Find("x-edge-residency");
  if (wanted == nullptr || wanted->empty()) return Next::kContinue;
  if (ctx.jurisdiction.source == "key" && *wanted != ctx.jurisdiction.name) {
    ReplyError(ctx,
               {Code::kPermissionDenied, "X-Edge-Residency: " + *wanted +
                                             " conflicts with this key's residency policy (" +
                                             ctx.jurisdiction.name + ")"},
               "residency_conflict");
    return Next::kReplied;
  }
  ctx.jurisdiction = {*wanted, ctx.jurisdiction.source == "key" ? "key" : "header"};
  return Next::kContinue;
}

}  // namespace edge::pipeline
