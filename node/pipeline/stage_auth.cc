#include <string_view>

#include "node/pipeline/key_cache.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

// The key from `Authorization: Bearer KEY` or `x-api-key: KEY`; empty when neither.
std::string_view PresentedKey(const net::HeaderList& headers) {
  if (const std::string* auth = headers.Find("authorization")) {
    std::string_view v = *auth;
    constexpr std::string_view kBearer = "bearer ";
    if (v.size() > kBearer.size() && net::EqualsIgnoreCase(v.substr(0, kBearer.size()), kBearer)) {
      v.remove_prefix(kBearer.size());
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return v;
    }
  }
  if (const std::string* key = headers.Find("x-api-key")) return *key;
  return {};
}

}  // namespace

Next Authenticate(RequestContext& ctx) {
  std::string_view presented = PresentedKey(ctx.exchange->request().headers);
  if (presented.empty()) {
    ReplyError(ctx,
               {Code::kUnauthenticated,
                "Missing API key: send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'."},
               "missing_api_key");
    return Next::kReplied;
  }
  ctx.key = ctx.services.key_cache->Find(ctx.snapshot, presented);
  if (ctx.key == nullptr) {
    ReplyError(ctx, {Code::kUnauthenticated, "Incorrect API key provided."}, "invalid_api_key");
    return Next::kReplied;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
