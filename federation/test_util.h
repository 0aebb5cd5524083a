#pragma once

// Helpers shared by the federation tests (header only, so no test code lands in the library).

#include <cstdint>
#include <string>
#include <vector>

#include "federation/gossiper.h"

namespace edge::federation::testing {

// prefix + number (append: gcc 12 gives a false -Wrestrict for "literal" + std::string)
inline std::string Id(const char* prefix, int i) {
  std::string s(prefix);
  s.append(std::to_string(i));
  return s;
}

inline GossipOptions Options(const std::string& id, int64_t generation = 1'000'000,
                             std::vector<std::string> keys = {"k1"}) {
  GossipOptions o;
  o.id = id;
  o.region = "eu-west";
  o.jurisdiction = "EU";
  o.advertise = id + ":7946";
  o.admin_url = "http://" + id + ":8080";
  o.generation = generation;
  o.keys = std::move(keys);
  return o;
}

inline UsageCell Cell(const std::string& team, const std::string& model = "m") {
  return UsageCell{"2026-12", team, "chat", "prod", model};
}

inline UsageCounters Counters(uint64_t n) {
  return UsageCounters{n, 10 * n, 20 * n, n / 2, 1000 * n, 900 * n};
}

// One full exchange initiator -> responder on a lossless link. Returns false if a frame was
// refused.
inline bool Exchange(Gossiper& initiator, Gossiper& responder, int64_t now_us) {
  std::vector<uint8_t> syn = initiator.BeginExchange(now_us);
  auto acks = responder.OnFrame(syn, now_us);
  if (!acks.ok()) return false;
  for (const auto& ack : *acks) {
    auto ack2s = initiator.OnFrame(ack, now_us);
    if (!ack2s.ok()) return false;
    for (const auto& ack2 : *ack2s) {
      auto none = responder.OnFrame(ack2, now_us);
      if (!none.ok() || !none->empty()) return false;
    }
  }
  return true;
}

}  // namespace edge::federation::testing
