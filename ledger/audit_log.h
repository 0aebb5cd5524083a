#pragma once

// The serving node's audit log: the hash chain (audit_chain.h) over the store's "audit"
// and "audit_digests" column families, written through the shared ledger Writer. One per process.
//
// Durability: an append job's round is in the WAL before the job hears Done (writer.h), so
// a response released from that Done (or from a LoopJob handed in as `then`) has its record
// on disk: a SIGKILL cannot lose it.

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "ledger/audit_chain.h"
#include "ledger/audit_key.h"
#include "ledger/audit_record.h"
#include "ledger/job_part.h"
#include "ledger/loop_job.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace edge::ledger {

struct AuditLogOptions {
  std::string node;                    // node.id
  uint64_t digest_every = 1000;        // audit.digest_every
  int64_t digest_every_us = 60000000;  // audit.digest_every_s
  const Clock* clock = nullptr;        // wall time of digests; null = the system clock
};

class AuditLog {
 public:
  // `store` is open read-write and nothing writes the audit family yet. Reads where the
  // chain stopped and the caller-address salt (made once, on first open, and kept in the
  // "meta" family; it never leaves the store).
  static Result<std::unique_ptr<AuditLog>> Open(Store& store, std::unique_ptr<SigningKey> key,
                                                AuditLogOptions options);

  // A writer job appending `record` (time_us set by the caller, caller address as seen).
  // `then`, if given, hears the same outcome once the record's round is written (or failed):
  // a LoopJob that releases the response on its worker's loop. The AuditLog must outlive the
  // job.
  std::unique_ptr<Job> MakeAppendJob(const AuditRecord& record,
                                     std::unique_ptr<LoopJob> then = nullptr);
  // The same record as a part of another job (the request's ledger commit): in the same
  // batch as the ledger record, so both reach the WAL together before the response's last
  // bytes are released. The owning job must fill its parts after its own writes, or fail
  // only in a way that fails the whole round: a part that filled must not be taken back out
  // of the batch alone, since later records already chain to it. What of the record's line
  // does not depend on the chain is encoded here, on the caller's thread (a worker), so the
  // writer thread, which every request passes through, does less.
  std::unique_ptr<JobPart> MakeCommitPart(const AuditRecord& record);
  std::unique_ptr<JobPart> MakeCommitPart(const AuditRecordRef& record);
  // The same from a tail encoded earlier (JobPart::AuditTail of such a part), e.g. read back
  // from a worker's journal after a crash (journal_replay.h); `format` as AuditChain::AppendTail.
  std::unique_ptr<JobPart> MakeCommitPartFromTail(std::string tail, int format = 2);
  // A writer job signing a digest of the records not yet covered, when the interval passed
  // (a timer submits it every few seconds) or when `force` (shutdown).
  std::unique_ptr<Job> MakeDigestJob(bool force);

  // The chain's committed head (for peers to witness and for /admin/audit). Any thread.
  AuditChainHead head() const { return chain_.head(); }
  const SigningKey& key() const { return *key_; }

 private:
  class AppendJob;
  class DigestJob;
  class CommitPart;
  AuditLog(std::unique_ptr<SigningKey> key, AuditChainOptions options, const Clock* clock);

  std::unique_ptr<SigningKey> key_;
  AuditChain chain_;  // writer thread only, but head()
  const Clock* clock_;
};

}  // namespace edge::ledger
