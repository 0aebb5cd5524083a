#pragma once

// What the writer thread does with one finished request: the record (family "records",
// key = request id) and its roll-up deltas (family "rollups", one merge operand per cell),
// all in the job's part of the round's WriteBatch, so the record and its roll-ups reach the
// WAL together or not at all.
//
// Idempotent on request id: a record whose id is already stored (or is in an earlier job of
// the writer not yet written) is skipped whole, roll-ups included, so nothing counts twice.
//
// Threads: one Recorder per Writer; Fill and Forget on the writer thread only.

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

#include "common/status.h"
#include "ledger/record.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "ledger/store.h"

namespace edge::ledger {

// The free tags of a record ("k=v,k2=v2") as pairs; malformed items are skipped.
std::vector<std::pair<std::string_view, std::string_view>> SplitTags(std::string_view tags);
// The roll-up delta one record adds.
RollupValue DeltaOf(const Record& r);
Dims DimsOf(const Record& r);

class Recorder {
 public:
  // `recent` bounds the ids kept in memory for the in-flight duplicate check.
  explicit Recorder(size_t recent = 1 << 16) : capacity_(recent) {}

  // Adds `r` and its roll-ups to `batch`; *duplicate says it was skipped as already there.
  Status Fill(const Record& r, rocksdb::WriteBatch& batch, Store& store, bool* duplicate);
  // The job carrying `request_id` failed to write: a later retry may write it.
  void Forget(const std::string& request_id);

 private:
  size_t capacity_;
  std::unordered_set<std::string> recent_;
  std::deque<std::string> order_;  // oldest first, for eviction
};

}  // namespace edge::ledger
