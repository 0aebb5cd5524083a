#include "node/pipeline/key_cache.h"

#include "config/key_hash.h"

namespace edge::pipeline {

bool KeyCache::ConstantTimeEqual::operator()(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

const config::VirtualKey* KeyCache::Find(const std::shared_ptr<const runtime::Snapshot>& snapshot,
                                         std::string_view presented) {
  if (snapshot_ != snapshot) {  // a reload: the keys may have changed
    index_.clear();
    snapshot_ = snapshot;
  }
  const config::Config& cfg = snapshot->config;
  if (auto it = index_.find(presented); it != index_.end()) return &cfg.keys[it->second];
  auto match = cfg.key_by_sha256.find(config::Sha256Hex(presented));
  if (match == cfg.key_by_sha256.end()) return nullptr;  // unknown keys are not remembered
  if (index_.size() >= kCapacity) index_.clear();
  index_.emplace(std::string(presented), match->second);
  return &cfg.keys[match->second];
}

}  // namespace edge::pipeline
