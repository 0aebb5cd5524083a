#include "node/runtime/journal_recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <limits>

#include "ledger/audit_log.h"
#include "ledger/journal_replay.h"
#include "ledger/recorder.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace edge::runtime {
namespace {

// Whether another process holds the store's lock (RocksDB locks its LOCK file with fcntl):
// asked without opening the store, whose read-write open would touch files (its info log)
// of the running node's before it found the lock taken.
bool LockedByAnotherProcess(const std::string& store_dir) {
  int fd = ::open((store_dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool locked = fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

}  // namespace

Status RecoverJournalsOfStoppedNode(const std::string& data_dir) {
  // Nothing is opened, created or mapped unless the node left ring files and a store, and is
  // not running: its store's lock is taken first.
  const std::string journal_dir = ledger::JournalDir(data_dir);
  const std::string store_dir = data_dir + "/ledger";
  Result<std::vector<std::string>> files = ledger::JournalFiles(journal_dir);
  std::error_code ec;
  if (!files.ok() || files->empty() || !std::filesystem::is_directory(store_dir, ec)) {
    return Status::Ok();
  }
  if (LockedByAnotherProcess(store_dir)) return Status::Ok();  // the node runs
  ledger::StoreOptions options;
  options.record_lookups = false;
  auto store = ledger::Store::Open(store_dir, options);
  if (!store.ok()) return Status::Ok();  // the node runs (its lock), or the dir is read-only
  EDGE_ASSIGN_OR_RETURN(ledger::OpenedJournals opened, ledger::OpenJournals(journal_dir));
  std::vector<ledger::JournalRing*> pending;
  for (auto& r : opened.rings) {
    if (r->HasPending()) pending.push_back(r.get());
  }
  if (pending.empty()) return Status::Ok();
  ledger::AuditLogOptions audit_options;
  audit_options.digest_every = std::numeric_limits<uint64_t>::max();
  audit_options.digest_every_us = std::numeric_limits<int64_t>::max();
  EDGE_ASSIGN_OR_RETURN(auto audit, ledger::AuditLog::Open(**store, nullptr, audit_options));
  ledger::Recorder recorder;
  recorder.trust_unique_ids();
  ledger::WriterOptions writer_options;
  writer_options.round_hook = recorder.coalescing_hook();
  ledger::Writer writer(**store, writer_options);
  Result<ledger::ReplayCounts> replayed =
      ledger::ReplayJournals(pending, **store, writer, recorder, audit.get());
  writer.Stop();
  return replayed.status();
}

}  // namespace edge::runtime
