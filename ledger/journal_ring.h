#pragma once

// A worker's commit journal: a ring of entries in a memory-mapped file (MAP_SHARED), so that
// what a worker copied into it is in the kernel's page cache the moment the copy is done and
// outlives the process (SIGKILL, a crash), as the WAL does, without a system call.
//
// Why (docs/ledger.md, "Durability"): a response may go out once its record is durable. The
// node's records reach RocksDB's WAL through the writer thread in group-commit rounds; holding
// each response until its round is written cost 13 % of throughput at 64 connections and 27 %
// at 16 (bench/ledger_cost.sh, EDGE_BENCH_WITHOUT=hold). With the journal, the worker copies
// the request's commit here, releases the response, and the writer writes it as before; the
// entry's space is freed once its round is written. Entries still in the ring when the process
// died are written again at the next start (ledger/journal_replay.h), idempotently by request
// id. Like RocksDB's WAL without fsync, it survives a killed process, not a power loss.
//
// Layout: a 4 KiB header (magic, capacity, `head` = bytes ever appended, `floor` = bytes whose
// records are known written), then `capacity` bytes of entries: an 8-byte frame (length, and a
// check word binding the frame to its position, so that a stale or zeroed frame is never taken
// for an entry), the payload, padding to 8 bytes. An entry never wraps: a wrap frame sends the
// reader to the start of the ring. Positions only grow; `pos % capacity` is the offset.
//
// Threads: one thread appends and releases (the worker that owns the ring); reading the
// pending entries is for recovery, while nothing appends.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::ledger {

class JournalRing {
 public:
  // The file's data capacity: enough for the commits in flight between a worker and the writer
  // (a few hundred at most, ~1 KiB each) many times over, and small on a tiny disk.
  static constexpr uint64_t kDefaultCapacity = 1 << 20;

  // Opens `path`, or creates it with `capacity` bytes of entries (a power of two, at least
  // 4 KiB) allocated on disk at once (so writing into the mapping never meets a full disk).
  // An existing file keeps its entries and its own capacity.
  static Result<std::unique_ptr<JournalRing>> Open(const std::string& path, uint64_t capacity);
  ~JournalRing();
  JournalRing(const JournalRing&) = delete;
  JournalRing& operator=(const JournalRing&) = delete;

  // Owner thread. Room for a payload of `size` bytes, or null when the ring has no room (the
  // caller takes its other way). Fill it, then Commit() before the next Reserve.
  char* Reserve(size_t size);
  // Publishes the reserved entry; returns the position after it (for Release).
  uint64_t Commit();
  // Owner thread. Every entry before `end` is written where it belongs: its space may be
  // reused, and it will not be replayed. Positions must come in the order of their commits.
  void Release(uint64_t end);

  // Recovery, while nothing appends: calls `fn` with each entry between floor and head, oldest
  // first. A frame that does not check out stops the walk with kInternal (what came before it
  // was delivered).
  Status ForEachPending(const std::function<void(std::string_view payload)>& fn) const;
  bool HasPending() const;
  // Recovery: forgets every entry (after they were all written).
  void Clear();

  uint64_t capacity() const { return capacity_; }
  const std::string& path() const { return path_; }

 private:
  struct Header;
  JournalRing(std::string path, int fd, char* map, uint64_t capacity);

  std::string path_;
  int fd_;
  char* map_;
  Header* header_;
  char* data_;
  uint64_t capacity_;
  uint64_t reserved_pos_ = 0;   // where the reserved entry's frame starts
  uint32_t reserved_size_ = 0;  // its payload size
};

}  // namespace edge::ledger
