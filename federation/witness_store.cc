#include "federation/witness_store.h"

namespace edge::federation {

void WitnessStore::RecordHead(std::string_view origin, int64_t generation, uint64_t seq,
                              std::string hash_hex, int64_t now_us) {
  auto it = origins_.find(origin);
  if (it == origins_.end()) it = origins_.emplace(std::string(origin), Seen{}).first;
  std::deque<WitnessEntry>& heads = it->second.heads;
  if (!heads.empty() && heads.back().seq == seq && heads.back().hash_hex == hash_hex) return;
  WitnessEntry e;
  e.kind = WitnessEntry::Kind::kChainHead;
  e.generation = generation;
  e.seq = seq;
  e.hash_hex = std::move(hash_hex);
  e.received_at_us = now_us;
  heads.push_back(std::move(e));
  if (heads.size() > kMaxHeads) heads.pop_front();
}

void WitnessStore::RecordDigest(std::string_view origin, int64_t generation, std::string line,
                                int64_t now_us) {
  auto it = origins_.find(origin);
  if (it == origins_.end()) it = origins_.emplace(std::string(origin), Seen{}).first;
  std::deque<WitnessEntry>& digests = it->second.digests;
  if (!digests.empty() && digests.back().digest == line) return;
  WitnessEntry e;
  e.kind = WitnessEntry::Kind::kDigest;
  e.generation = generation;
  e.digest = std::move(line);
  e.received_at_us = now_us;
  digests.push_back(std::move(e));
  if (digests.size() > kMaxDigests) digests.pop_front();
}

std::vector<WitnessEntry> WitnessStore::Witnessed(std::string_view origin) const {
  std::vector<WitnessEntry> out;
  auto it = origins_.find(origin);
  if (it == origins_.end()) return out;
  out.assign(it->second.heads.begin(), it->second.heads.end());
  out.insert(out.end(), it->second.digests.begin(), it->second.digests.end());
  return out;
}

}  // namespace edge::federation
