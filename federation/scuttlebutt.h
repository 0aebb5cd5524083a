#pragma once

// Scuttlebutt reconciliation and flow control (van Renesse, Dumitriu, Gough, Ingram 2008,
// "Efficient Reconciliation and Flow Control for Anti-Entropy Protocols"):
// the peers compare digests {origin: (generation, max version)}, and each sends the entries the
// other lacks, within a byte budget per message.
//
// Order (the paper's "scuttle-depth"): origins the peer lacks the most of go first; within an
// origin, entries go in increasing version order, and an origin stops at its first entry that
// does not fit. So a message cut by the budget still leaves the receiver, for each origin, every
// entry up to the version it now claims (a consistent prefix), and the next exchange carries on
// from there: a backlog drains over several rounds and nothing is skipped.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "federation/codec.h"
#include "federation/origin_state.h"

namespace edge::federation {

// Send the entries of `state` with version > after.
struct Lack {
  const OriginState* state = nullptr;
  uint64_t after = 0;
};

struct Reconciliation {
  std::vector<Lack> to_send;            // what the peer lacks
  std::vector<DigestEntry> to_request;  // what we lack: our own (generation, max version)
};

// Compares the peer's digest with `mine`. With send_unmentioned, origins the peer did not list
// are sent whole (a SYN lists everything the initiator holds; an ACK's requests list only what
// the responder wants). Duplicate origins in the peer's digest count once. `self_id` is never
// requested: only this node writes its own state.
Reconciliation Reconcile(const std::map<std::string, OriginState>& mine,
                         const std::vector<DigestEntry>& peer, bool send_unmentioned,
                         const std::string& self_id);

struct Selection {
  std::vector<EncodedDelta> deltas;  // views into the OriginStates: use before changing them
  size_t bytes = 0;                  // encoded size of the deltas (within the budget)
  size_t entries = 0;
};
// The deltas to send for `lacks` within `byte_budget`. `tiebreak` varies the order among
// origins the peer lacks equally much, so that none of them waits behind the others forever.
Selection SelectDeltas(std::vector<Lack> lacks, size_t byte_budget, uint64_t tiebreak);

}  // namespace edge::federation
