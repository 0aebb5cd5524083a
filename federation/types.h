#pragma once

// The plain types of the federation API: what the node hands in (cells, options) and what it
// reads back (members, usage, witnessed heads). No behaviour here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edge::federation {

// One usage cell of one origin. period is "YYYY-MM" (month) or "YYYY-MM-DD" (day).
struct UsageCell {
  std::string period, team, feature, env, model;
  auto operator<=>(const UsageCell&) const = default;
};

// Every field only grows for a given origin; merging takes the per-field maximum.
struct UsageCounters {
  uint64_t requests = 0, input_tokens = 0, output_tokens = 0, cached_tokens = 0;
  uint64_t cost_micro_usd = 0, estimated_cost_micro_usd = 0;
  bool operator==(const UsageCounters&) const = default;
};

// Month spend of one budget subject (for global budgets): subject is "key:<id>" or "team:<name>".
struct BudgetCell {
  std::string month, subject;
  auto operator<=>(const BudgetCell&) const = default;
};

// What a node says about itself (the "meta" entry of its state).
struct NodeMeta {
  std::string id, region, jurisdiction, advertise, admin_url;
  int64_t generation = 0;  // start time in microseconds: a restart is a new generation
  bool operator==(const NodeMeta&) const = default;
};

enum class MemberState { kAlive, kSuspect, kDead };
std::string_view MemberStateName(MemberState s);  // "alive", "suspect", "dead"

struct MemberInfo {
  std::string id, address, region, jurisdiction, admin_url;
  MemberState state = MemberState::kAlive;
  int64_t incarnation = 0;   // the member's generation
  int64_t last_seen_us = 0;  // when its newest heartbeat reached this node (self: now)
  double phi = 0;            // phi-accrual suspicion level at the time asked (self: 0)
  bool self = false;
};

struct CellUsage {
  UsageCell cell;
  UsageCounters counters;
};
struct BudgetSpend {
  BudgetCell cell;
  uint64_t cost_micro_usd = 0;
};

// One origin's summaries as merged here (per field max over everything received, all
// generations included), with how fresh they are.
struct OriginUsage {
  std::string id, region, jurisdiction;
  int64_t generation = 0;
  int64_t as_of_us = 0;    // when this node last heard from the origin (self: now)
  bool reachable = false;  // not dead by the failure detector (self: true)
  bool self = false;
  std::vector<CellUsage> cells;     // sorted by cell
  std::vector<BudgetSpend> budget;  // sorted by cell
};
struct GlobalUsage {
  std::vector<OriginUsage> origins;  // sorted by id, self included
};

// A chain head or signed digest this node received from an origin, and when.
struct WitnessEntry {
  enum class Kind { kChainHead, kDigest };
  Kind kind = Kind::kChainHead;
  int64_t generation = 0;  // the origin's generation that sent it
  uint64_t seq = 0;        // chain head: the record sequence number
  std::string hash_hex;    // chain head: the record hash
  std::string digest;      // digest: the signed digest JSON line, as the origin wrote it
  int64_t received_at_us = 0;
};

// Why a frame was dropped. Each has a counter in FrameStats and a name for metrics and logs.
enum class DropReason {
  kSize,     // length prefix over the limit, under the minimum, or not the frame's size
  kVersion,  // unknown frame version
  kTag,      // HMAC tag matches no key of the keyring
  kMsgpack,  // body is not one well-formed msgpack value within the limits
  kSchema,   // well-formed msgpack of the wrong shape, types or values
};
inline constexpr size_t kDropReasons = 5;
std::string_view DropReasonName(DropReason r);  // "size", "version", "tag", "msgpack", "schema"

struct FrameStats {
  uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::array<uint64_t, kDropReasons> dropped{};  // indexed by DropReason
  uint64_t entries_applied = 0;                  // remote entries that changed this node's state
  uint64_t entries_sent = 0;
  uint64_t self_conflicts = 0;   // another node gossips this node's id with a newer generation
  uint64_t origins_refused = 0;  // new origins over max_origins
};

struct GossipOptions {
  std::string id, region, jurisdiction;
  std::string advertise;  // host:port peers should use to reach this node
  std::string admin_url;
  int64_t generation = 0;                // the node's start time in microseconds; > 0
  std::vector<std::string> keys;         // keyring: [0] signs what is sent; all are accepted
  uint32_t interval_ms = 1000;           // the caller's round interval; seeds the failure detector
  size_t round_byte_budget = 64 * 1024;  // flow control: bytes of deltas per message
  size_t max_frame_bytes = 1 << 20;
  double phi_suspect = 5, phi_dead = 12;
  uint32_t fanout = 3;        // live peers per round, 1..3
  size_t max_origins = 4096;  // origins kept; more are refused (counted)
};

}  // namespace edge::federation
