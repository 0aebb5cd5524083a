#include "ledger/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "ledger/response_store.h"
#include "ledger/retention_filter.h"
#include "ledger/rollup_merge.h"

namespace edge::ledger {
namespace {

// The families as stored on disk, by Family value.
constexpr std::string_view kFamilyNames[kFamilyCount] = {"records", "rollups", "audit", "meta",
                                                           "responses", "audit_digests"};

int64_t SystemSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What all families' memtables may hold together (Store::OpenDb's WriteBufferManager).
constexpr size_t kMemtableBudget = 12 << 20;

rocksdb::ColumnFamilyOptions FamilyOptions(Family f, const StoreOptions& o) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  // A node's ledger is small next to RocksDB's defaults (64 MiB memtables): keep the
  // process's memory target in reach (and see kMemtableBudget).
  cf.write_buffer_size = 8 << 20;
  switch (f) {
    case Family::kRecords:
      if (o.record_lookups) {
        // Point lookups by request id (the idempotency check) mostly miss: a bloom filter
        // answers them without reading blocks. Without them (the node) the filter would only
        // be built, at every flush and compaction, for the rare replay of a journal.
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        // The same for the memtables, where nearly every check lands (ids are recent): a
        // whole-key bloom filter (2 % of the write buffer) answers "not there" without a
        // skip-list search.
        cf.memtable_whole_key_filtering = true;
        cf.memtable_prefix_bloom_size_ratio = 0.02;
        // Request ids are a per-process random prefix (16 hex digits) and a count: records
        // arrive nearly in key order, so the skip list inserts from the hint instead of
        // searching from the top (see kAudit below).
        cf.memtable_insert_with_hint_prefix_extractor.reset(
            rocksdb::NewFixedPrefixTransform(16));
      } else {
        cf.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();  // as kAudit
      }
      // Keys (request ids) arrive nearly in order (node/net/request_id.h), so a flushed file
      // overlaps the level below at most at its end: a compaction rewrites the new files and
      // that one file below, which small files keep small. (With each worker's ids in a range
      // of their own, every flushed file spanned the ranges, and each compaction rewrote the
      // whole level below again.)
      cf.target_file_size_base = 4 << 20;
      if (o.retention_days > 0) {
        cf.compaction_filter_factory = NewRetentionFilterFactory(
            o.retention_days, o.now_seconds ? o.now_seconds : SystemSeconds);
        // Files moved down the levels unrewritten never meet the filter: each is rewritten
        // after a quarter of the retention (a day at least), so an expired record goes by
        // then, not after RocksDB's default of 30 days.
        const uint64_t quarter = uint64_t{86400} * static_cast<uint64_t>(o.retention_days) / 4;
        cf.periodic_compaction_seconds = std::max<uint64_t>(86400, quarter);
      }
      break;
    case Family::kRollups:
      cf.merge_operator = NewRollupMergeOperator();
      // Each round adds one merge operand per cell, with a higher sequence number than the
      // last one for that cell, so it sorts before it: a skip-list insert searched from the
      // top (~10k instructions per operand with these long keys, and insert hints do not
      // help, as they bracket the previous operand). A vector memtable appends; it is sorted
      // once at flush. The family is read by spend queries on the admin loop (a scan then
      // sorts a copy of the memtable, at most the 12 MiB budget) and at start-up, never on
      // the request path.
      cf.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      break;
    case Family::kAudit:
      // Keys are 'r' + a big-endian sequence number, written once and read only by
      // scans (export, verify, /admin/audit), never by point lookups: a vector memtable
      // appends each line (a skip list insert cost ~3-4k instructions even from a hint) and
      // sorts once, when it is flushed or scanned.
      cf.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      break;
    case Family::kResponses:
      // Every stored response carries its expiry: compaction drops the expired ones (reads
      // also treat them as absent, so nothing waits for a compaction to be right).
      cf.compaction_filter_factory =
          NewResponseExpiryFilterFactory(o.now_seconds ? o.now_seconds : SystemSeconds);
      break;
    case Family::kAuditDigests:
      // One small line per audit.digest_every records: a small memtable is plenty.
      cf.write_buffer_size = 1 << 20;
      break;
    case Family::kMeta:
    case Family::kCount:
      break;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // LZ4 from level 2 down. Every record is flushed to L0 and compacted into L1 soon after,
  // so compressing there (and decompressing for that compaction) is paid for every byte
  // written, ~1/8 of the flush thread's time; most of a node's ledger lives further down,
  // where files are rewritten rarely and compression saves the disk.
  cf.compression = rocksdb::kLZ4Compression;
  cf.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression};
  cf.compression_per_level.resize(static_cast<size_t>(cf.num_levels), rocksdb::kLZ4Compression);
  return cf;
}

}  // namespace

std::string_view FamilyName(Family f) {
  return f < Family::kCount ? kFamilyNames[static_cast<size_t>(f)] : std::string_view("?");
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kNotFound:
      return NotFound(std::move(msg));
    case rocksdb::Status::kInvalidArgument:
    case rocksdb::Status::kNotSupported:
      return InvalidArgument(std::move(msg));
    case rocksdb::Status::kCorruption:
      return Internal(std::move(msg));
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kAborted:
    case rocksdb::Status::kExpired:
      return Unavailable(std::move(msg));
    default:
      return Internal(std::move(msg));
  }
}

struct Store::Internals {
  rocksdb::DBOptions db;
};

Store::Store(std::string dir, StoreOptions options)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      handles_(kFamilyCount, nullptr),
      internals_(std::make_unique<Internals>()) {}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, StoreOptions options) {
  std::unique_ptr<Store> store(new Store(dir, std::move(options)));
  EDGE_RETURN_IF_ERROR(store->OpenDb());
  return store;
}

Status Store::OpenDb() {
  rocksdb::DBOptions& db = internals_->db;
  db.create_if_missing = options_.mode == OpenMode::kReadWrite;
  db.create_missing_column_families = options_.mode == OpenMode::kReadWrite;
  db.keep_log_file_num = 4;
  db.max_total_wal_size = 64 << 20;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // All families' memtables together stay under kMemtableBudget: past it RocksDB flushes the
  // largest one early (RocksDB's WriteBufferManager, its answer to memory-bounded processes).
  // Without it the records' and audit's memtables alone took up to 2 x 8 MiB each (one
  // filling, one flushing), and the node's memory target (10,000 idle connections < 64 MiB)
  // was missed after a few hundred thousand requests.
  if (options_.mode == OpenMode::kReadWrite) {
    db.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(kMemtableBudget);
  }
  // Without preallocation a full disk shows at the next write (and ledger.on_error acts),
  // not only after the megabytes RocksDB would have reserved for the WAL are used up.
  db.allow_fallocate = false;
  // One writer thread (ledger/writer.h), and the audit family's vector memtable cannot take
  // concurrent inserts.
  db.allow_concurrent_memtable_write = false;

  if (options_.mode == OpenMode::kSecondary) db.max_open_files = -1;  // RocksDB requires it

  // Read-only and secondary opens must name exactly the families that exist.
  std::vector<std::string> existing;
  if (options_.mode != OpenMode::kReadWrite) {
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(db), dir_, &existing);
    if (!s.ok()) return FromRocks(s, "ledger store " + dir_);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  std::vector<int> family_of;  // descs index -> Family, -1 for others
  auto wanted = [&](std::string_view name) {
    return options_.mode == OpenMode::kReadWrite ||
           std::find(existing.begin(), existing.end(), name) != existing.end();
  };
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  family_of.push_back(-1);
  for (size_t i = 0; i < kFamilyCount; ++i) {
    std::string name(kFamilyNames[i]);
    if (!wanted(name)) continue;
    descs.emplace_back(name, FamilyOptions(static_cast<Family>(i), options_));
    family_of.push_back(static_cast<int>(i));
  }
  // A newer node's families are opened too (read-write must name all existing ones).
  for (const std::string& name : existing) {
    bool known = name == rocksdb::kDefaultColumnFamilyName ||
                 std::find(std::begin(kFamilyNames), std::end(kFamilyNames), name) !=
                     std::end(kFamilyNames);
    if (!known) {
      descs.emplace_back(name, rocksdb::ColumnFamilyOptions());
      family_of.push_back(-1);
    }
  }
  if (options_.mode == OpenMode::kReadWrite) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Unavailable("ledger store " + dir_ + ": " + ec.message());
    std::vector<std::string> on_disk;
    if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(db), dir_, &on_disk).ok()) {
      for (const std::string& name : on_disk) {
        bool listed = std::any_of(descs.begin(), descs.end(),
                                  [&](const auto& d) { return d.name == name; });
        if (!listed) {
          descs.emplace_back(name, rocksdb::ColumnFamilyOptions());
          family_of.push_back(-1);
        }
      }
    }
  }

  rocksdb::Status s;
  rocksdb::DBOptions opts(db);
  switch (options_.mode) {
    case OpenMode::kReadWrite:
      s = rocksdb::DB::Open(opts, dir_, descs, &opened_, &db_);
      break;
    case OpenMode::kReadOnly:
      s = rocksdb::DB::OpenForReadOnly(opts, dir_, descs, &opened_, &db_);
      break;
    case OpenMode::kSecondary: {
      std::string secondary = options_.secondary_dir;
      if (secondary.empty()) {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "llm-edge-secondary-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) return Unavailable("ledger secondary: mkdtemp failed");
        secondary = tmpl;
        options_.secondary_dir = secondary;
        owns_secondary_dir_ = true;
      }
      s = rocksdb::DB::OpenAsSecondary(opts, dir_, secondary, descs, &opened_, &db_);
      if (s.ok()) s = db_->TryCatchUpWithPrimary();
      break;
    }
  }
  if (!s.ok()) {
    db_ = nullptr;
    return FromRocks(s, "ledger store " + dir_);
  }
  for (size_t i = 0; i < opened_.size(); ++i) {
    if (family_of[i] >= 0) handles_[static_cast<size_t>(family_of[i])] = opened_[i];
  }
  return Status::Ok();
}

Store::~Store() {
  if (db_ != nullptr) {
    for (rocksdb::ColumnFamilyHandle* h : opened_) db_->DestroyColumnFamilyHandle(h);
    db_->Close().PermitUncheckedError();
    delete db_;
  }
  if (owns_secondary_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(options_.secondary_dir, ec);
  }
}

Result<std::optional<std::string>> Store::Get(Family f, std::string_view key) const {
  rocksdb::ColumnFamilyHandle* h = Handle(f);
  if (h == nullptr) return std::optional<std::string>();
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), h, rocksdb::Slice(key.data(), key.size()),
                               &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "ledger get " + std::string(FamilyName(f)));
  return std::optional<std::string>(std::move(value));
}

Status Store::Scan(Family f, std::string_view begin, std::string_view end,
                   const Visitor& visit) const {
  rocksdb::ColumnFamilyHandle* h = Handle(f);
  if (h == nullptr) return Status::Ok();
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end.data(), end.size());
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, h));
  for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "ledger scan " + std::string(FamilyName(f)));
}

Status Store::Write(rocksdb::WriteBatch& batch, bool sync) {
  if (options_.mode != OpenMode::kReadWrite) return InvalidArgument("ledger store opened read-only");
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, &batch), "ledger write");
}

Status Store::Put(Family f, std::string_view key, std::string_view value) {
  rocksdb::ColumnFamilyHandle* h = Handle(f);
  if (h == nullptr || options_.mode != OpenMode::kReadWrite) {
    return InvalidArgument("ledger store opened read-only");
  }
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.Put(h, rocksdb::Slice(key.data(), key.size()),
                                rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return FromRocks(s, "ledger put");
  return Write(batch, false);
}

Status Store::CatchUp() {
  if (options_.mode != OpenMode::kSecondary) return Status::Ok();
  return FromRocks(db_->TryCatchUpWithPrimary(), "ledger catch up");
}

Status Store::CompactAll() {
  if (options_.mode != OpenMode::kReadWrite) return InvalidArgument("ledger store opened read-only");
  for (rocksdb::ColumnFamilyHandle* h : opened_) {
    EDGE_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions(), h), "ledger flush"));
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    EDGE_RETURN_IF_ERROR(
        FromRocks(db_->CompactRange(cro, h, nullptr, nullptr), "ledger compaction"));
  }
  return Status::Ok();
}

Status Store::CheckRoom(uint64_t min_free_bytes) const {
  if (options_.mode != OpenMode::kReadWrite) return InvalidArgument("ledger store opened read-only");
  struct statvfs fs;
  if (statvfs(dir_.c_str(), &fs) != 0) return Unavailable("ledger store " + dir_ + ": statvfs failed");
  if ((fs.f_flag & ST_RDONLY) != 0) {
    return Unavailable("ledger store " + dir_ + ": the file system is read-only");
  }
  uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < min_free_bytes) {
    return Unavailable("ledger store " + dir_ + ": disk full (" + std::to_string(free_bytes >> 10) +
                       " KiB free, writes stop below " + std::to_string(min_free_bytes >> 10) +
                       " KiB)");
  }
  return Status::Ok();
}

Status Store::ResumeIfRoom(uint64_t min_free_bytes) {
  if (options_.mode != OpenMode::kReadWrite) return Status::Ok();
  EDGE_RETURN_IF_ERROR(CheckRoom(min_free_bytes));
  return FromRocks(db_->Resume(), "ledger resume");
}

}  // namespace edge::ledger
