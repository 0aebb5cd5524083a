#pragma once

// Writing what workers' journals (journal_ring.h) hold and the store may not: at a node's
// start, before its workers run, and by offline tools (audit, spend --data-dir) finding a
// journal that a killed node left. Each entry goes through the writer as one job, like the
// request's own commit: the record and its roll-ups (Recorder), and its audit line (appended
// to the chain, which the writer thread owns). An entry whose request id is already in the
// records family was written before the process died and is skipped whole: replaying twice,
// or replaying entries that did reach the store, counts nothing twice.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "ledger/audit_log.h"
#include "ledger/journal_ring.h"
#include "ledger/recorder.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace edge::ledger {

struct ReplayCounts {
  uint64_t written = 0;     // entries whose record was missing and is now written
  uint64_t already = 0;     // entries whose record the store had
  uint64_t unreadable = 0;  // entries that could not be parsed (skipped, not written)
  // Rings damaged before their end: what came before the damage was written, the rest is
  // lost (one message per ring, for the log).
  std::vector<std::string> damaged;
};

// Writes every pending entry of `rings` through `writer` (whose jobs use `recorder`; `audit`
// null: entries' audit tails are dropped) and waits until all are done. Any thread but the
// writer's, while nothing appends to the rings. When every write succeeded each ring is
// cleared; when one failed, this fails and leaves every ring as it was, to be replayed again.
Result<ReplayCounts> ReplayJournals(const std::vector<JournalRing*>& rings, Store& store,
                                    Writer& writer, Recorder& recorder, AuditLog* audit);

// The journal directory of a node's data dir, and the ring file of worker `index` in it.
std::string JournalDir(const std::string& data_dir);
std::string JournalPath(const std::string& data_dir, unsigned index);

// The ring files in `dir`, sorted; none when the directory does not exist. Lists only:
// nothing is opened.
Result<std::vector<std::string>> JournalFiles(const std::string& dir);

struct OpenedJournals {
  std::vector<std::unique_ptr<JournalRing>> rings;
  // Files that are not readable journals, renamed aside (".unreadable") so that they neither
  // stop every later start nor get overwritten; one message each, for the log.
  std::vector<std::string> set_aside;
};
// Opens every ring file in `dir` (none when the directory does not exist).
Result<OpenedJournals> OpenJournals(const std::string& dir);

}  // namespace edge::ledger
