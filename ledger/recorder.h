#pragma once

// What the writer thread does with one finished request: the record (family "records",
// key = request id) and its roll-up deltas (family "rollups", one merge operand per cell),
// all in the job's part of the round's WriteBatch, so the record and its roll-ups reach the
// WAL together or not at all.
//
// Idempotent on request id: a record whose id is already stored (or is in an earlier job of
// the writer not yet written) is skipped whole, roll-ups included, so nothing counts twice.
// A caller whose ids cannot repeat says so (trust_unique_ids) and skips that check.
//
// Coalescing (coalescing_hook() passed as the Writer's WriterOptions::round_hook): Fill stages
// the deltas instead of writing them, the deltas of every kept job of a round are summed per
// cell, and the round's batch gets ONE merge operand per distinct cell when it is sealed,
// still in the same WriteBatch as the records (a round reaches the WAL whole or not at all,
// so roll-ups stay sums of records across crashes). A job rolled back to its savepoint drops
// what it staged and its ids leave the recent set at once (without the hook they stay until
// the job's Done calls Forget, so a retry of the id in the same round would be taken for a
// duplicate). Under load a round carries hundreds of records and a few cells.
//
// Threads: one Recorder per Writer; Fill, Forget and the hook on the writer thread only.

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/status.h"
#include "ledger/record.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "ledger/store.h"
#include "ledger/usage_summary.h"
#include "ledger/writer.h"

namespace edge::ledger {

// The free tags of a record ("k=v,k2=v2") as pairs; malformed items are skipped.
std::vector<std::pair<std::string_view, std::string_view>> SplitTags(std::string_view tags);
// The roll-up delta one record adds.
RollupValue DeltaOf(const Record& r);
Dims DimsOf(const Record& r);

class Recorder : private RoundHook {
 public:
  // `recent` bounds the ids kept in memory for the in-flight duplicate check.
  explicit Recorder(size_t recent = 1 << 16) : capacity_(recent) {}

  // Adds `r` and its roll-ups to `batch`; *duplicate says it was skipped as already there.
  Status Fill(const Record& r, rocksdb::WriteBatch& batch, Store& store, bool* duplicate);
  // The same with `encoded` = EncodeRecord(r), made beforehand (the node makes it on the
  // worker, which copies it into its journal too).
  Status Fill(const Record& r, std::string_view encoded, rocksdb::WriteBatch& batch, Store& store,
              bool* duplicate);
  // The job carrying `request_id` failed to write: a later retry may write it.
  void Forget(const std::string& request_id);

  // For callers that issue every id once and never submit a record twice: the node's request
  // ids carry a random 64-bit prefix drawn per process at start, so no stored record nor
  // earlier job can hold one. Fill then skips the duplicate check, a RocksDB point lookup and a hash
  // set insert and eviction per record (~4k of the writer's ~55k instructions per request).
  void trust_unique_ids() { unique_ids_ = true; }

  // Switches to coalesced roll-ups; the result must be the round_hook of the one Writer
  // whose jobs call Fill (without it, staged deltas would never be written).
  RoundHook* coalescing_hook() {
    coalesce_ = true;
    return this;
  }
  // With coalescing: each round's summed deltas also go to `summary` (not owned; outlives the
  // writer), which counts them once the round is written. Set before the writer starts.
  void set_summary(UsageSummary* summary) { summary_ = summary; }

 private:
  void JobFilled(bool kept) override;
  Status Seal(rocksdb::WriteBatch& batch, Store& store) override;
  void Written(const Status& written) override;
  // Calls fn with the key of every cell a record with these dimensions, tags and time adds
  // to: hour, day and month, each plain and once per free tag.
  static void ForEachCell(const Dims& dims, std::string_view tags, int64_t wall_micros,
                          const std::function<void(std::string)>& fn);
  void AddToGroup(const Record& r);

  // The kept records of a round with the same hour, dimensions and tags, summed.
  struct Group {
    Dims dims;
    std::string tags;
    int64_t wall_micros = 0;  // any instant of the group's hour
    RollupValue sum;
  };

  bool coalesce_ = false;
  bool unique_ids_ = false;
  UsageSummary* summary_ = nullptr;
  // The current job's record between Fill and JobFilled (the job owns it until its Done).
  const Record* staged_ = nullptr;
  std::string group_key_;  // AddToGroup's buffer, reused
  std::unordered_map<std::string, Group> round_;  // the round's kept records, by group key
  std::vector<std::string> job_ids_;  // ids the current job added to recent_
  size_t capacity_;
  std::unordered_set<std::string> recent_;
  std::deque<std::string> order_;  // oldest first, for eviction
};

}  // namespace edge::ledger
