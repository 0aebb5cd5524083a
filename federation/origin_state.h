#pragma once

// The versioned state of one origin in one generation (van Renesse et al. 2008, section 3):
// a map key -> (value, version) that only the origin writes, each write taking the next version.
// Kept both by key (the newest value of each) and by version (what a peer lacks is everything
// after the version it holds, sent in increasing order).

#include <cstdint>
#include <map>
#include <string>

#include "federation/message.h"

namespace edge::federation {

class OriginState {
 public:
  struct Stored {
    Entry entry;
    std::string bytes;  // EncodeEntry(entry)
  };

  OriginState(std::string id, int64_t generation) : id_(std::move(id)), generation_(generation) {}

  const std::string& id() const { return id_; }
  int64_t generation() const { return generation_; }
  uint64_t max_version() const { return max_version_; }
  size_t size() const { return by_key_.size(); }

  // The origin's own write: `payload` under the next version. Returns the stored entry.
  const Stored& Put(Payload payload);
  // A write received from a peer: kept when its version is newer than the one held under its
  // key. Returns whether the state changed.
  bool Apply(const Entry& entry);
  // Forgets everything: the origin restarted as `generation`.
  void Reset(int64_t generation);

  // The newest entry under the key of `like` (same kind, same cell), or nullptr.
  const Entry* Find(const Payload& like) const;
  // Calls f on every entry with version > after, in increasing version order, until f
  // returns false.
  template <typename F>
  void ForEachAfter(uint64_t after, F&& f) const {
    for (auto it = by_version_.upper_bound(after); it != by_version_.end(); ++it)
      if (!f(it->second->second)) return;
  }

 private:
  using ByKey = std::map<std::string, Stored>;
  std::string id_;
  int64_t generation_;
  uint64_t max_version_ = 0;
  ByKey by_key_;
  std::map<uint64_t, ByKey::iterator> by_version_;
};

// The key an entry is stored under: its kind, and its cell for usage and budget entries.
std::string EntryKey(const Payload& payload);

}  // namespace edge::federation
