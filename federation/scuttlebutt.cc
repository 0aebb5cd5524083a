#include "federation/scuttlebutt.h"

#include <algorithm>
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
  // A merge join of the peer's digest (sorted here: it comes from the network) with `mine`
  // (a sorted map): linear after the sort, and a duplicate origin is simply the same as the
  // one before it.
  std::vector<const DigestEntry*> sorted;
  sorted.reserve(peer.size());
  for (const DigestEntry& d : peer) sorted.push_back(&d);
  auto by_origin = [](const DigestEntry* a, const DigestEntry* b) { return a->origin < b->origin; };
  if (!std::is_sorted(sorted.begin(), sorted.end(), by_origin))  // a peer sends it sorted
    std::stable_sort(sorted.begin(), sorted.end(), by_origin);
  Reconciliation r;
  auto it = mine.begin();
  auto unmentioned_until = [&](const std::string* origin) {
    for (; it != mine.end() && (origin == nullptr || it->first < *origin); ++it)
      if (send_unmentioned && it->second.max_version() > 0) r.to_send.push_back({&it->second, 0});
  };
  const std::string* previous = nullptr;
  for (const DigestEntry* dp : sorted) {
    const DigestEntry& d = *dp;
    if (previous != nullptr && *previous == d.origin) continue;  // first mention counts
    previous = &d.origin;
    unmentioned_until(&d.origin);
    if (it == mine.end() || it->first != d.origin) {
      if (d.origin != self_id && (d.generation > 0 || d.max_version > 0))
        r.to_request.push_back({d.origin, 0, 0});
      continue;
    }
    const OriginState& s = it->second;
    ++it;
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
  unmentioned_until(nullptr);
  return r;
}

Selection SelectDeltas(std::vector<Lack> lacks, size_t byte_budget, uint64_t tiebreak) {
  // Most behind first (by version gap, which bounds the entries missing); ties in an order
  // that changes with `tiebreak`.
  struct Keyed {
    uint64_t gap, tie;
    Lack lack;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(lacks.size());
  for (const Lack& l : lacks)
    keyed.push_back({l.state->max_version() - l.after, Mix(Hash(l.state->id()) ^ tiebreak), l});
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.gap != b.gap) return a.gap > b.gap;
    if (a.tie != b.tie) return a.tie < b.tie;
    return a.lack.state->id() < b.lack.state->id();
  });
  for (size_t i = 0; i < keyed.size(); ++i) lacks[i] = keyed[i].lack;
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
