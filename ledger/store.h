#pragma once

// The node's one RocksDB database (under node.data_dir/ledger), shared by the ledger and the
// audit log, each in its own column families. Only store.cc and the few .cc files that fill
// write batches include RocksDB headers; everything else sees this interface.
//
// Threads: a Store is safe to use from any thread (RocksDB's DB is). Writes on the serving
// path go through ledger::Writer (writer.h), never through Store directly.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
class Status;
}  // namespace rocksdb

namespace edge::ledger {

// The column families. Adding one: a value here, its row in kFamilies (families.cc) with its
// name and options; nothing else. Names are stored on disk: never rename one.
enum class Family : uint8_t {
  kRecords,  // one record per finished request, keyed by request id (ledger)
  kRollups,  // counters by period x dimensions, summed by a merge operator (ledger)
  kAudit,    // the hash-chained routing audit log (audit)
  kMeta,     // small named values: schema version, chain heads, digests
  kResponses,  // stored Responses API conversations (responses.store), see response_store.h
  // The audit log's signed digests. Apart from the records so that each family's keys only
  // grow: RocksDB then moves flushed files down the levels without rewriting them (a digest
  // key among the records made every file overlap the next, and compaction rewrote them all).
  // Stores written before this family existed keep their digests in kAudit; readers look in
  // both (audit_store.h).
  kAuditDigests,
  kCount,
};
constexpr size_t kFamilyCount = static_cast<size_t>(Family::kCount);
std::string_view FamilyName(Family f);

enum class OpenMode {
  kReadWrite,  // the serving node: creates the database and missing families
  kReadOnly,   // a consistent view as of the open; never writes, takes no lock
  kSecondary,  // follows a running primary (CatchUp()); for offline commands beside a live node
};

struct StoreOptions {
  OpenMode mode = OpenMode::kReadWrite;
  // Raw records older than this are dropped by compaction (roll-ups stay). 0 = keep forever.
  int retention_days = 0;
  // Where a secondary keeps its own info log and manifest copy; empty = a fresh temporary
  // directory, removed when the Store closes.
  std::string secondary_dir;
  // Wall clock in seconds for the retention filter; injected by tests. Null = system clock.
  std::function<int64_t()> now_seconds;
  // false: this process never looks a record up by its id while it writes (a Recorder that
  // trusts unique ids), so the records family takes a vector memtable (an append per record
  // instead of a skip-list insert, ~5k instructions; sorted once at flush) and no memtable
  // bloom filter. Point lookups still work, slowly (each sorts the memtable): offline tools
  // reading a store opened this way by a node read the flushed files and the WAL, not it.
  bool record_lookups = true;
};

// Converts a RocksDB status: IO errors and no-space are kUnavailable (the store is
// failing), corruption is kInternal, a missing key is kNotFound, busy/timeouts kUnavailable.
Status FromRocks(const rocksdb::Status& s, std::string_view what);

class Store {
 public:
  // Opens (or in kReadWrite creates) the database in `dir`. Families that do not exist yet
  // in a read-only or secondary open read as empty.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, StoreOptions options);
  ~Store();  // closes the database; pending background work is cancelled, not lost
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& dir() const { return dir_; }
  OpenMode mode() const { return options_.mode; }

  // The family's handle, or null when a read-only/secondary open did not find it. For the
  // .cc files that fill WriteBatches (writer jobs) and read with RocksDB directly.
  rocksdb::ColumnFamilyHandle* Handle(Family f) const { return handles_[static_cast<size_t>(f)]; }
  rocksdb::DB* db() const { return db_; }

  // The value under `key`, or nullopt when absent.
  Result<std::optional<std::string>> Get(Family f, std::string_view key) const;
  // Calls `visit(key, value)` for each key in [begin, end) in order (end empty = to the
  // last key) until it returns false.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  Status Scan(Family f, std::string_view begin, std::string_view end, const Visitor& visit) const;
  // Writes a batch synchronously from the calling thread (start-up, tools, tests). The
  // serving path uses Writer instead.
  Status Write(rocksdb::WriteBatch& batch, bool sync);
  Status Put(Family f, std::string_view key, std::string_view value);

  // Secondary only: replays what the primary wrote since the open or the last CatchUp().
  Status CatchUp();
  // Flushes memtables and compacts every family fully (retention runs). Tools and tests.
  Status CompactAll();
  // After a write error RocksDB stops accepting writes until it is resumed. This resumes it
  // only when the store's file system is writable and has `min_free_bytes` free: RocksDB 7.8
  // is not safe to resume while the disk is still full (a later WAL append trips an assertion
  // in its WritableFileWriter). kUnavailable when there is no room or resuming failed.
  Status ResumeIfRoom(uint64_t min_free_bytes);
  // kUnavailable when the store's file system is read-only or has less than `min_free_bytes`
  // free. The writer checks it before each round, so that RocksDB never meets a full disk in
  // the middle of a WAL append (Elasticsearch's flood-stage watermark, for the same reason:
  // stop writing before the disk is full, not after).
  Status CheckRoom(uint64_t min_free_bytes) const;

 private:
  Store(std::string dir, StoreOptions options);
  Status OpenDb();

  std::string dir_;
  StoreOptions options_;
  bool owns_secondary_dir_ = false;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // by Family; null when absent
  std::vector<rocksdb::ColumnFamilyHandle*> opened_;   // what to destroy before the DB
  struct Internals;
  std::unique_ptr<Internals> internals_;  // options objects RocksDB keeps pointers into
};

}  // namespace edge::ledger
