#include "node/runtime/journal_recovery.h"

#include <cstdint>
#include <filesystem>
#include <limits>

#include "ledger/audit_log.h"
#include "ledger/journal_replay.h"
#include "ledger/recorder.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace edge::runtime {

Status RecoverJournalsOfStoppedNode(const std::string& data_dir) {
  // Nothing is opened, created or mapped unless the node left ring files and a store, and is
  // not running: its store's lock is taken first.
  const std::string journal_dir = ledger::JournalDir(data_dir);
  const std::string store_dir = data_dir + "/ledger";
  std::error_code ec;
  bool any_ring = false;
  if (std::filesystem::is_directory(journal_dir, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(journal_dir, ec)) {
      if (e.path().extension() == ".ring") any_ring = true;
    }
  }
  if (!any_ring || !std::filesystem::is_directory(store_dir, ec)) return Status::Ok();
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
