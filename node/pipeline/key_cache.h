#pragma once

// The virtual keys a worker has already verified, so that a client sending the same key
// request after request pays the SHA-256 of it once per worker instead of every time.
// One per worker: no locks.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"
#include "node/runtime/snapshot.h"

namespace edge::pipeline {

class KeyCache {
 public:
  // The configured key the presented one hashes to in `snapshot`, or nullptr.
  const config::VirtualKey* Find(const std::shared_ptr<const runtime::Snapshot>& snapshot,
                                 std::string_view presented);

  // Keys remembered at most; the cache starts over when full, so a client cycling through
  // many keys costs memory bounded by this and nothing more.
  static constexpr size_t kCapacity = 4096;

 private:
  // Equality that takes the same time wherever two keys differ, so that lookups do not
  // tell a caller how much of a key it guessed.
  struct ConstantTimeEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  // Held so that the snapshot the indexes refer to cannot be freed (and its address
  // reused by a later one) while they are cached.
  std::shared_ptr<const runtime::Snapshot> snapshot_;
  std::unordered_map<std::string, size_t, Hash, ConstantTimeEqual> index_;
};

}  // namespace edge::pipeline
