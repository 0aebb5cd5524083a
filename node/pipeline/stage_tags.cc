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

// The first X-Edge-Team, -Feature, -Env and -Tags fields, in one pass over the request's
// fields (four HeaderList::Find calls cost ~900 instructions a request).
struct TagFields {
  const std::string* team = nullptr;
  const std::string* feature = nullptr;
  const std::string* env = nullptr;
  const std::string* tags = nullptr;
};

TagFields FindTagFields(const net::HeaderList& headers) {
  constexpr std::string_view kPrefix = "x-edge-";
  TagFields found;
  for (const auto& [name, value] : headers) {
    // Length and first letter first: most fields fail there, without a call.
    if (name.size() < kPrefix.size() + 3 || name.size() > kPrefix.size() + 7 ||
        (name[0] | 0x20) != 'x' ||
        !net::EqualsIgnoreCase(std::string_view(name).substr(0, kPrefix.size()), kPrefix)) {
      continue;
    }
    const std::string_view rest = std::string_view(name).substr(kPrefix.size());
    const std::string** slot = nullptr;
    if (rest.size() == 3) {
      if (net::EqualsIgnoreCase(rest, "env")) slot = &found.env;
    } else if (rest.size() == 7) {
      if (net::EqualsIgnoreCase(rest, "feature")) slot = &found.feature;
    } else if (rest.size() == 4) {
      slot = net::EqualsIgnoreCase(rest, "team")   ? &found.team
             : net::EqualsIgnoreCase(rest, "tags") ? &found.tags
                                                   : nullptr;
    }
    if (slot != nullptr && *slot == nullptr) *slot = &value;
  }
  return found;
}

}  // namespace

Next ResolveTags(RequestContext& ctx) {
  ctx.tags = {ctx.key->team, ctx.key->feature, ctx.key->env, {}};
  const TagFields found = FindTagFields(ctx.exchange->request().headers);
  struct Override {
    const char* header;
    const std::string* value;
    std::string* field;
  };
  const Override overrides[] = {{"x-edge-team", found.team, &ctx.tags.team},
                                {"x-edge-feature", found.feature, &ctx.tags.feature},
                                {"x-edge-env", found.env, &ctx.tags.env}};
  for (const auto& o : overrides) {
    if (o.value == nullptr) continue;
    if (!IsTagValue(*o.value)) {
      ReplyError(ctx, InvalidArgument(std::string("Invalid ") + o.header +
                                      ": use 1-64 characters of A-Z a-z 0-9 . _ : -"),
                 "invalid_tag");
      return Next::kReplied;
    }
    *o.field = *o.value;
  }
  if (found.tags != nullptr) {
    if (!ValidFreeTags(*found.tags)) {
      ReplyError(ctx,
                 InvalidArgument("Invalid X-Edge-Tags: use at most 16 k=v pairs separated by "
                                 "commas, each 1-64 characters of A-Z a-z 0-9 . _ : -"),
                 "invalid_tag");
      return Next::kReplied;
    }
    ctx.tags.extra = *found.tags;
  }
  return Next::kContinue;
}

}  // namespace edge::pipeline
