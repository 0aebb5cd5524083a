#pragma once

// The messages of a Scuttlebutt exchange as typed values (the body of a frame). The msgpack
// schema is in codec.h; the protocol in gossiper.h and README.md.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "federation/types.h"

namespace edge::federation {

// One versioned entry of an origin's state. The payload's kind names the key: one heartbeat,
// one meta, one chain head, one digest per origin, one entry per usage or budget cell.
struct Heartbeat {
  uint64_t counter = 0;
  bool operator==(const Heartbeat&) const = default;
};
struct UsageEntry {
  UsageCell cell;
  UsageCounters counters;
  bool operator==(const UsageEntry&) const = default;
};
struct BudgetEntry {
  BudgetCell cell;
  uint64_t cost_micro_usd = 0;
  bool operator==(const BudgetEntry&) const = default;
};
struct ChainHead {
  uint64_t seq = 0;
  std::string hash_hex;
  bool operator==(const ChainHead&) const = default;
};
struct SignedDigest {
  std::string line;
  bool operator==(const SignedDigest&) const = default;
};
using Payload = std::variant<Heartbeat, NodeMeta, UsageEntry, BudgetEntry, ChainHead, SignedDigest>;

// Wire numbers of the payload kinds (the variant's index + 1).
enum class EntryKind : uint8_t {
  kHeartbeat = 1,
  kMeta = 2,
  kUsage = 3,
  kBudget = 4,
  kChainHead = 5,
  kDigest = 6
};
inline EntryKind KindOf(const Payload& p) { return static_cast<EntryKind>(p.index() + 1); }

struct Entry {
  uint64_t version = 0;  // > 0, unique within (origin, generation)
  Payload payload;
  bool operator==(const Entry&) const = default;
};

// "I hold `origin` at `generation` up to `max_version`" (0: nothing of that generation).
struct DigestEntry {
  std::string origin;
  int64_t generation = 0;
  uint64_t max_version = 0;
  bool operator==(const DigestEntry&) const = default;
};

// Entries of one origin's generation, in increasing version order.
struct OriginDelta {
  std::string origin;
  int64_t generation = 0;
  std::vector<Entry> entries;
  bool operator==(const OriginDelta&) const = default;
};

enum class MessageType : uint8_t { kSyn = 1, kAck = 2, kAck2 = 3 };

struct Message {
  MessageType type = MessageType::kSyn;
  std::string from;                 // the sender's id (for logs; not trusted for anything)
  std::vector<DigestEntry> digest;  // SYN: the initiator's digest; ACK: the responder's requests
  std::vector<OriginDelta> deltas;  // ACK, ACK2
  bool operator==(const Message&) const = default;
};

}  // namespace edge::federation
