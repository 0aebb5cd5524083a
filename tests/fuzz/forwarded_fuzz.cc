// geo::ForwardedHops on arbitrary field values. The first byte picks which header the
// fields go to (X-Forwarded-For, Forwarded, or alternating); '\n' separates fields. Checks:
// never crashes; the caller found is invalid, the peer, or an address that prints and parses
// back to itself; a trusted-proxy answer never comes from beyond an unreadable hop (the same
// fields with one more unreadable hop appended on the right leave the caller unplaced); and
// parsing is deterministic.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "geo/geo.h"

namespace {

using edge::geo::CidrSet;
using edge::geo::ForwardedHops;
using edge::geo::IpAddress;

void Check(bool ok) {
  if (!ok) std::abort();
}

const CidrSet& Trusted() {
  static const CidrSet set = [] {
    CidrSet s;
    for (const char* c : {"10.0.0.0/8", "127.0.0.1", "2001:db8::/32", "::ffff:192.168.0.0/112"}) {
      Check(s.Add(c).ok());
    }
    return s;
  }();
  return set;
}

void Feed(ForwardedHops& hops, uint8_t mode, std::string_view input) {
  int i = 0;
  while (true) {
    size_t nl = input.find('\n');
    std::string_view field = input.substr(0, nl);
    bool xff = mode == 0 || (mode == 2 && i % 2 == 0);
    if (xff) {
      hops.AddXForwardedFor(field);
    } else {
      hops.AddForwarded(field);
    }
    ++i;
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0] % 3;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  IpAddress peer;
  Check(edge::geo::ParseIp("10.0.0.1", &peer));

  ForwardedHops hops;
  Feed(hops, mode, input);
  IpAddress client = hops.Client(peer, Trusted());
  if (client.valid() && !(client == peer)) {
    IpAddress again;
    Check(edge::geo::ParseIp(edge::geo::ToString(client), &again) && again == client);
  }

  ForwardedHops twice;
  Feed(twice, mode, input);
  Check(twice.Client(peer, Trusted()) == client);

  // One more unreadable hop nearest to the node: nothing beyond it is trusted.
  ForwardedHops spoiled;
  Feed(spoiled, mode, input);
  if (spoiled.forwarded().count > 0 || mode != 0) {
    spoiled.AddForwarded("for=unknown");
  } else {
    spoiled.AddXForwardedFor("unknown");
  }
  Check(!spoiled.Client(peer, Trusted()).valid());

  // An untrusted peer's own address is the answer whatever the fields say, which is the
  // caller's rule (it never asks); ParseIp of the raw input must not crash either.
  IpAddress parsed;
  if (edge::geo::ParseIp(input, &parsed)) {
    Check(parsed.valid());
    CidrSet one;
    Check(one.Add(input).ok() && one.Contains(parsed));
  }
  return 0;
}
