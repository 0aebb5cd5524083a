#pragma once

// A piece of a request's commit that another module adds to the same writer job (the audit
// log's record joins the ledger's record): filled in order into the job's part of the batch,
// so all parts of a request reach the WAL together or none does.

#include <optional>
#include <string_view>

#include "common/status.h"
#include "ledger/store.h"

namespace edge::ledger {

class JobPart {
 public:
  virtual ~JobPart() = default;
  // Writer thread, in the job's submission order. A failure fails the whole job (every
  // part's writes are taken back out of the batch).
  virtual Status Fill(rocksdb::WriteBatch& batch, Store& store) = 0;
  // Writer thread, after the round: `status` is the job's outcome (ok = in the WAL).
  virtual void Written(const Status& status) { (void)status; }
  // The audit line's chain-independent tail when this part is the audit log's
  // (AuditLog::MakeCommitPart): what a worker's journal keeps of it (journal_entry.h). Parts
  // the journal cannot carry return nullopt, and their request waits for its round instead.
  virtual std::optional<std::string_view> AuditTail() const { return std::nullopt; }
};

}  // namespace edge::ledger
