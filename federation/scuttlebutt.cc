#include "federation/scuttlebutt.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace edge::federation {
namespace {

// Bytes of a delta's frame around its entries: array headers, the origin, the generation.
size_t DeltaOverhead(const std::string& origin) { return origin.size() + 5 + 9 + 5 + 5; }

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(std::string_view s) {  // FNV-1a
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return h;
}

}  // namespace

Reconciliation Reconcile(const std::map<std::string, OriginState>& mine,
                         const std::vector<DigestEntry>& peer, bool send_unmentioned,
                         const std::string& self_id) {
  Reconciliation r;
  std::set<std::string_view> mentioned;
  for (const DigestEntry& d : peer) {
    if (!mentioned.insert(d.origin).second) continue;
    auto it = mine.find(d.origin);
    if (it == mine.end()) {
      if (d.origin != self_id && (d.generation > 0 || d.max_version > 0))
        r.to_request.push_back({d.origin, 0, 0});
      continue;
    }
    const OriginState& s = it->second;
    if (s.generation() > d.generation) {
      r.to_send.push_back({&s, 0});  // the peer holds an older life of it: all of the new one
    } else if (s.generation() < d.generation) {
      if (d.origin != self_id) r.to_request.push_back({d.origin, s.generation(), s.max_version()});
    } else if (s.max_version() > d.max_version) {
      r.to_send.push_back({&s, d.max_version});
    } else if (s.max_version() < d.max_version && d.origin != self_id) {
      r.to_request.push_back({d.origin, s.generation(), s.max_version()});
    }
  }
  if (send_unmentioned) {
    for (const auto& [id, s] : mine) {
      if (!mentioned.contains(id) && s.max_version() > 0) r.to_send.push_back({&s, 0});
    }
  }
  return r;
}

Selection SelectDeltas(std::vector<Lack> lacks, size_t byte_budget, uint64_t tiebreak) {
  // Most behind first (by version gap, which bounds the entries missing).
  std::sort(lacks.begin(), lacks.end(), [tiebreak](const Lack& a, const Lack& b) {
    uint64_t ga = a.state->max_version() - a.after, gb = b.state->max_version() - b.after;
    if (ga != gb) return ga > gb;
    uint64_t ha = Mix(Hash(a.state->id()) ^ tiebreak), hb = Mix(Hash(b.state->id()) ^ tiebreak);
    if (ha != hb) return ha < hb;
    return a.state->id() < b.state->id();
  });
  Selection sel;
  for (const Lack& lack : lacks) {
    size_t overhead = DeltaOverhead(lack.state->id());
    if (sel.bytes + overhead >= byte_budget) continue;  // a smaller origin may still fit
    EncodedDelta delta;
    size_t bytes = overhead;
    lack.state->ForEachAfter(lack.after, [&](const OriginState::Stored& s) {
      if (sel.bytes + bytes + s.bytes.size() > byte_budget) return false;  // keep the prefix
      bytes += s.bytes.size();
      delta.entries.push_back(s.bytes);
      return true;
    });
    if (delta.entries.empty()) continue;
    delta.origin = lack.state->id();
    delta.generation = lack.state->generation();
    sel.bytes += bytes;
    sel.entries += delta.entries.size();
    sel.deltas.push_back(std::move(delta));
  }
  return sel;
}

}  // namespace edge::federation
