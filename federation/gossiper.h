#pragma once

// The gossip engine of one node, sans-IO: no sockets, threads, clocks or randomness of its own.
// The caller (node/'s transport, or a test) passes the time, moves the frames, and picks the
// random numbers; so a simulation of hundreds of members runs in one process, deterministically.
//
// One round, every interval_ms, on the caller's loop:
//   Tick(now)                      heartbeat; the failure detector's view moves on
//   PickTargets(seeds, random)     1..fanout peers (now and then a dead one or a seed)
//   for each target, on a connection:
//     initiator: BeginExchange(now) -> SYN  ----------------->  responder: OnFrame(SYN) -> [ACK]
//     initiator: OnFrame(ACK) -> [ACK2]  <----------------------
//     ------------------------------------------------------->  responder: OnFrame(ACK2) -> []
// (Scuttlebutt, van Renesse et al. 2008: SYN carries the initiator's digest, ACK the deltas the
// initiator lacks and the responder's requests, ACK2 the deltas the responder asked for.)
// No per-connection state: any frame may come on any connection, in any order, lost or twice.
//
// Thread-safety: none. One thread owns a Gossiper (the transport's loop thread); views are
// returned as copies for publishing to other threads.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "federation/message.h"
#include "federation/origin_state.h"
#include "federation/phi_accrual.h"
#include "federation/types.h"
#include "federation/usage_view.h"
#include "federation/witness_store.h"

namespace edge::federation {

// Ok, or what is wrong with the options (empty id or keyring, generation <= 0, thresholds,
// fanout, sizes, field lengths).
Status ValidateGossipOptions(const GossipOptions& options);

class Gossiper {
 public:
  // `options` must pass ValidateGossipOptions (asserted; out-of-range numbers are clamped).
  explicit Gossiper(GossipOptions options);

  const GossipOptions& options() const { return options_; }
  const std::string& id() const { return options_.id; }

  // ---- Local state. Each change takes the next version of this node's state.
  // Per field maximum with the current value: a value that is not larger changes nothing.
  // Each returns InvalidArgument (and changes nothing) when a string is over the wire's limits
  // (codec.h: kMaxNameBytes, kMaxDigestBytes).
  Status SetUsage(const UsageCell& cell, const UsageCounters& counters);
  Status SetBudgetSpend(const BudgetCell& cell, uint64_t cost_micro_usd);
  // The audit chain head; kept when seq is past the current one.
  Status SetChainHead(uint64_t seq, std::string hash_hex);
  // The latest signed digest line; kept when it differs from the current one.
  Status SetDigest(std::string signed_digest_json_line);
  // Once per round: a new heartbeat (peers' failure detectors feed on its arrivals).
  void Tick(int64_t now_us);

  // ---- Exchanges
  // Whom to gossip with this round: up to `fanout` distinct live (alive or suspect) members'
  // addresses at random; with probability dead/(live+1) also one dead member, and a seed when
  // no live member is known or with probability seeds/(live+dead+1) (Cassandra's Gossiper
  // rules), so that partitions heal and a new node finds the cluster. `seeds` are resolved
  // host:port strings; this node's own advertise address is never returned. `random` seeds
  // this call's choices (the caller's PRNG).
  std::vector<std::string> PickTargets(const std::vector<std::string>& seeds,
                                       uint64_t random) const;
  // A SYN frame (this node's digest) to send to a target.
  std::vector<uint8_t> BeginExchange(int64_t now_us);
  // A whole frame from a connection (FrameSplitter cuts them). Returns the frames to write back
  // on the same connection (0 or 1), or an error naming the DropReason (also counted in
  // stats().dropped): the caller drops the frame and the connection, and logs at a bounded
  // rate. A dropped frame changes no state.
  Result<std::vector<std::vector<uint8_t>>> OnFrame(std::span<const uint8_t> frame, int64_t now_us);
  // The reason of the last OnFrame error (valid after an error).
  DropReason last_drop_reason() const { return last_drop_; }

  // ---- Views, copied out
  // Every member known (self included), sorted by id. Dead members stay listed.
  std::vector<MemberInfo> Members(int64_t now_us) const;
  // Per origin (self included), the merged summaries, with region, freshness and reachability.
  GlobalUsage Usage(int64_t now_us) const;
  // The merged summaries alone (the CRDT), e.g. for sums: usage_view().BudgetTotal(cell).
  const UsageView& usage_view() const { return usage_; }
  // Chain heads and digests received from `origin`, with when.
  std::vector<WitnessEntry> Witnessed(std::string_view origin) const {
    return witness_.Witnessed(origin);
  }
  FrameStats stats() const { return stats_; }

  // This node's digest {origin: (generation, max version)} (what a SYN carries).
  std::vector<DigestEntry> Digest() const;

 private:
  // What the round needs of another member at hand, without searching its state.
  struct Peer {
    std::string address;                 // from its meta
    std::optional<PhiAccrual> detector;  // from its first heartbeat of this generation on
    uint64_t heartbeat = 0;              // the newest heartbeat counter received
  };

  OriginState& self() { return states_.at(options_.id); }
  const Peer* FindPeer(const std::string& id) const;
  double PhiOf(const Peer& peer, int64_t now_us) const;
  MemberState StateOf(double phi) const;
  std::vector<uint8_t> Seal(std::vector<uint8_t> body);
  Result<std::vector<std::vector<uint8_t>>> Drop(DropReason reason, std::string detail);
  // Checks that every delta can be applied (meta entries describe the delta's origin).
  bool DeltasConsistent(const std::vector<OriginDelta>& deltas, std::string* detail) const;
  void ApplyDeltas(const std::vector<OriginDelta>& deltas, int64_t now_us);
  void ApplyEntry(OriginState& state, Peer& peer, const Entry& entry, int64_t now_us);
  std::vector<uint8_t> Reply(MessageType type, const std::vector<DigestEntry>& peer,
                             bool send_unmentioned);

  GossipOptions options_;
  std::map<std::string, OriginState> states_;  // self included
  std::map<std::string, Peer> peers_;          // others only: the same keys as states_ less self
  UsageView usage_;
  WitnessStore witness_;
  FrameStats stats_;
  DropReason last_drop_ = DropReason::kSize;
  uint64_t heartbeat_ = 0;
  uint64_t exchanges_ = 0;
  int64_t last_tick_us_ = 0;
};

}  // namespace edge::federation
