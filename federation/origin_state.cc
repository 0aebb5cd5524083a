#include "federation/origin_state.h"

#include "federation/codec.h"

namespace edge::federation {

std::string EntryKey(const Payload& payload) {
  std::string key(1, static_cast<char>(KindOf(payload)));
  auto add = [&key](const std::string& field) {
    key += field;
    key += '\0';  // fields never contain NUL in practice; the separator keeps them apart anyway
  };
  if (const auto* u = std::get_if<UsageEntry>(&payload)) {
    for (const std::string* f :
         {&u->cell.period, &u->cell.team, &u->cell.feature, &u->cell.env, &u->cell.model})
      add(*f);
  } else if (const auto* b = std::get_if<BudgetEntry>(&payload)) {
    add(b->cell.month);
    add(b->cell.subject);
  }
  return key;
}

const OriginState::Stored& OriginState::Put(Payload payload) {
  Entry entry{max_version_ + 1, std::move(payload)};
  bool applied = Apply(entry);
  (void)applied;  // always newer: the version is past every version held
  return by_version_.rbegin()->second->second;
}

bool OriginState::Apply(const Entry& entry) {
  if (entry.version > max_version_) max_version_ = entry.version;
  std::string key = EntryKey(entry.payload);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    if (it->second.entry.version >= entry.version) return false;
    auto node = by_version_.extract(it->second.entry.version);  // reused: no allocation
    it->second.entry = entry;
    it->second.bytes = EncodeEntry(entry);
    node.key() = entry.version;
    by_version_.insert(std::move(node));
    return true;
  }
  it = by_key_.emplace(std::move(key), Stored{entry, EncodeEntry(entry)}).first;
  by_version_.emplace(entry.version, it);
  return true;
}

void OriginState::Reset(int64_t generation) {
  generation_ = generation;
  max_version_ = 0;
  by_version_.clear();
  by_key_.clear();
}

const Entry* OriginState::Find(const Payload& like) const {
  auto it = by_key_.find(EntryKey(like));
  return it == by_key_.end() ? nullptr : &it->second.entry;
}

}  // namespace edge::federation
