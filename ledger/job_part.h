#pragma once

// A piece of a request's commit that another module adds to the same writer job (the audit
// log's record joins the ledger's record): filled in order into the job's part of the batch,
// so all parts of a request reach the WAL together or none does.

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
};

}  // namespace edge::ledger
