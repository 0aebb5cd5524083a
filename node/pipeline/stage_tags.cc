#include <string_view>

#include "common/tag.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

// Each free tag becomes a roll-up cell per hour, day and month (docs/ledger.md): bounded.
constexpr int kMaxFreeTags = 16;

// "k=v,k2=v2": every key and value a valid tag value, at most kMaxFreeTags pairs.
bool ValidFreeTags(std::string_view tags) {
  int count = 0;
  while (!tags.empty()) {
    if (++count > kMaxFreeTags) return false;
    size_t comma = tags.find(',');
    std::string_view pair = tags.substr(0, comma);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return false;
    if (!IsTagValue(pair.substr(0, eq)) || !IsTagValue(pair.substr(eq + 1))) return false;
    if (comma == std::string_view::npos) break;
    tags.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

Next ResolveTags(RequestContext& ctx) {
  ctx.tags = {ctx.key->team, ctx.key->feature, ctx.key->env, {}};
  const net::HeaderList& headers = ctx.exchange->request().headers;
  struct Override {
    const char* header;
    std::string* field;
  };
  const Override overrides[] = {{"x-edge-team", &ctx.tags.team},
                                {"x-edge-feature", &ctx.tags.feature},
                                {"x-edge-env", &ctx.tags.env}};
  for (const auto& o : overrides) {
    const std::string* value = headers.Find(o.header);
    if (value == nullptr) continue;
    if (!IsTagValue(*value)) {
      ReplyError(ctx, InvalidArgument(std::string("Invalid ") + o.header +
                                      ": use 1-64 characters of A-Z a-z 0-9 . _ : -"),
                 "invalid_tag");
      return Next::kReplied;
    }
    *o.field = *value;
  }
  if (const std::string* extra = headers.Find("x-edge-tags")) {
    if (!ValidFreeTags(*extra)) {
      ReplyError(ctx,
                 InvalidArgument("Invalid X-Edge-Tags: use at most 16 k=v pairs separated by "
                                 "commas, each 1-64 characters of A-Z a-z 0-9 . _ : -"),
                 "invalid_tag");
      return Next::kReplied;
    }
    ctx.tags.extra = *extra;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
