#pragma once

// Offline commands that read a node's store (audit verify / export / residency, spend
// --data-dir) first write what a stopped node's journals still hold (ledger/journal_ring.h):
// a node killed under load leaves there the records of requests it had already answered, and
// the node's next start would write them. When the node is running (it holds the store's
// lock), nothing is done: its writer is at most a round behind.

#include <string>

#include "common/status.h"

namespace edge::runtime {

// Writes the pending entries of `data_dir`'s journals into its store, as a starting node
// does, but signs no digest (the node signs them at its next start: the chain only goes on).
// Ok when there is nothing to write or the node holds the store; an error when writing failed.
Status RecoverJournalsOfStoppedNode(const std::string& data_dir);

}  // namespace edge::runtime
