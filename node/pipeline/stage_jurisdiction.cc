#include <sys/socket.h>

#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

// The socket peer, or, only when the peer is a trusted proxy, the client its
// X-Forwarded-For / Forwarded fields name (geo::ForwardedHops reads them right to left).
// An untrusted peer's forwarding headers are never parsed: anyone can send them.
geo::IpAddress CallerAddress(const RequestContext& ctx, const geo::Classifier* geo) {
  geo::IpAddress peer =
      geo::FromSockaddr(reinterpret_cast<const sockaddr*>(&ctx.exchange->peer_addr()));
  if (geo == nullptr || !geo->trusted_proxies().Contains(peer)) return peer;
  thread_local geo::ForwardedHops hops;  // fixed size, reused: nothing allocates
  hops.Clear();
  constexpr std::string_view kXff = "x-forwarded-for", kForwarded = "forwarded";
  for (const auto& [name, value] : ctx.exchange->request().headers) {
    // Lengths first: most fields are neither, and this runs for every field of the request.
    if (name.size() == kXff.size() && net::EqualsIgnoreCase(name, kXff)) {
      hops.AddXForwardedFor(value);
    } else if (name.size() == kForwarded.size() && net::EqualsIgnoreCase(name, kForwarded)) {
      hops.AddForwarded(value);
    }
  }
  return hops.Client(peer, geo->trusted_proxies());
}

bool IsPinned(const config::Config& cfg, std::string_view name) {
  auto it = cfg.jurisdictions.find(name);
  return it != cfg.jurisdictions.end() && it->second.pinned;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// X-Edge-Residency intersects with what the rules decided: it may narrow an unpinned caller
// to a jurisdiction (source=header), it can never move a pinned caller out of its own.
Next ApplyResidencyHeader(RequestContext& ctx) {
  const std::string* header = ctx.exchange->request().headers.Find("x-edge-residency");
  if (header == nullptr) return Next::kContinue;
  std::string_view wanted = Trim(*header);
  if (wanted.empty() || wanted == ctx.jurisdiction.name) return Next::kContinue;
  const config::Config& cfg = ctx.snapshot->config;
  if (cfg.jurisdictions.find(wanted) == cfg.jurisdictions.end()) {
    std::string known;
    for (const auto& [name, j] : cfg.jurisdictions) known += (known.empty() ? "" : ", ") + name;
    ReplyError(ctx,
               InvalidArgument("X-Edge-Residency: '" + std::string(wanted.substr(0, 64)) +
                               "' is not a jurisdiction of this node (" +
                               (known.empty() ? std::string("none") : known) + ")"),
               "invalid_residency");
    return Next::kReplied;
  }
  if (IsPinned(cfg, ctx.jurisdiction.name)) {
    ReplyError(ctx,
               {Code::kPermissionDenied,
                "X-Edge-Residency: " + std::string(wanted) + " conflicts with this caller's " +
                    "pinned jurisdiction " + ctx.jurisdiction.name +
                    " (source=" + ctx.jurisdiction.source +
                    "): its data may not be sent outside " + ctx.jurisdiction.name},
               "residency_conflict");
    return Next::kReplied;
  }
  ctx.jurisdiction = {std::string(wanted), "header"};
  return Next::kContinue;
}

}  // namespace

// Strongest first: the key's residency policy, the caller's IP (geo/), the node's rule for
// callers it cannot place (geo.unknown_caller). The caller is looked up even when the key
// decides, so that the audit record shows where it was.
Next ClassifyJurisdiction(RequestContext& ctx) {
  const config::Config& cfg = ctx.snapshot->config;
  const geo::Classifier* geo = ctx.snapshot->geo.get();
  ctx.caller_address = CallerAddress(ctx, geo);
  geo::Placement placed;
  if (geo != nullptr) {
    placed = geo->Place(ctx.caller_address);
  } else {
    placed.jurisdiction = cfg.node.jurisdiction;
  }
  ctx.caller_country = placed.country;
  if (!ctx.key->residency.empty()) {
    ctx.jurisdiction = {ctx.key->residency, "key"};
  } else if (placed.source == geo::Placement::Source::kIp) {
    ctx.jurisdiction = {std::string(placed.jurisdiction), "ip"};
  } else if (placed.source == geo::Placement::Source::kNode) {
    ctx.jurisdiction = {std::string(placed.jurisdiction), "node"};
  } else {
    std::string who = ctx.caller_address.valid() ? geo::ToString(ctx.caller_address)
                                                 : std::string("the forwarded address");
    ReplyError(ctx,
               {Code::kPermissionDenied, "The caller's location could not be determined (" +
                                             who +
                                             "), and this node refuses callers it cannot "
                                             "place (geo.unknown_caller: deny)."},
               "caller_not_placed");
    return Next::kReplied;
  }
  return ApplyResidencyHeader(ctx);
}

}  // namespace edge::pipeline
