#include "ledger/audit_log.h"

#include <rocksdb/write_batch.h>
#include <sys/random.h>

#include <cerrno>
#include <vector>

#include "ledger/audit_store.h"

namespace edge::ledger {
namespace {

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal("getrandom failed");
    got += static_cast<size_t>(r);
  }
  return out;
}

// Adds the entries to the batch; on failure the chain goes back to `mark`.
Status PutEntries(rocksdb::WriteBatch& batch, Store& store, const std::vector<AuditEntry>& entries) {
  for (const AuditEntry& e : entries) {
    rocksdb::Status s = batch.Put(store.Handle(e.family), e.key, e.value);
    if (!s.ok()) return FromRocks(s, "audit batch");
  }
  return Status::Ok();
}

// Entries a job filled become part of the chain once their round is written, or are taken
// back when it failed.
void Settle(AuditChain& chain, const Status& written) {
  if (written.ok()) {
    chain.Committed();
  } else {
    chain.Abandoned();
  }
}

}  // namespace

// One record's part of a request's commit. Made where the record is (a worker), which also
// encodes what of its line does not depend on the chain; on the writer thread Fill appends it
// to the chain, Written commits or rolls it back (all of a round's outcomes come before the
// next round's first Fill, writer.h).
class AuditLog::CommitPart : public JobPart {
 public:
  CommitPart(AuditLog& log, std::string tail, int format = 2)
      : log_(log), tail_(std::move(tail)), format_(format) {}

  std::optional<std::string_view> AuditTail() const override { return tail_; }

  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    AuditChain& chain = log_.chain_;
    const AuditChain::State mark = chain.Mark();
    std::vector<AuditEntry> entries;
    EDGE_RETURN_IF_ERROR(chain.AppendTail(tail_, log_.clock_->WallMicros(), &entries, format_));
    Status st = PutEntries(batch, store, entries);
    if (!st.ok()) {
      chain.RollbackTo(mark);
      return st;
    }
    filled_ = true;
    return Status::Ok();
  }

  void Written(const Status& status) override {
    if (filled_) Settle(log_.chain_, status);
  }

 private:
  AuditLog& log_;
  std::string tail_;
  int format_;
  bool filled_ = false;
};

// The same record as a job of its own (tests, tools): the commit part, told how the round went.
class AuditLog::AppendJob : public Job {
 public:
  AppendJob(AuditLog& log, const AuditRecord& record, std::unique_ptr<LoopJob> then)
      : part_(log, log.chain_.EncodeTail(record)), then_(std::move(then)) {}

  Status Fill(rocksdb::WriteBatch& batch, Store& store) override { return part_.Fill(batch, store); }

  void Done(std::unique_ptr<Job> self, Status status) override {
    part_.Written(status);
    if (then_) {
      Job* then = then_.release();
      then->Done(std::unique_ptr<Job>(then), std::move(status));
    }
  }

 private:
  CommitPart part_;
  std::unique_ptr<LoopJob> then_;
};

class AuditLog::DigestJob : public Job {
 public:
  DigestJob(AuditLog& log, bool force) : log_(log), force_(force) {}

  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    AuditChain& chain = log_.chain_;
    const AuditChain::State mark = chain.Mark();
    std::vector<AuditEntry> entries;
    EDGE_RETURN_IF_ERROR(chain.DigestIfDue(log_.clock_->WallMicros(), force_, &entries));
    Status st = PutEntries(batch, store, entries);
    if (!st.ok()) {
      chain.RollbackTo(mark);
      return st;
    }
    filled_ = !entries.empty();
    return Status::Ok();
  }

  void Done(std::unique_ptr<Job>, Status status) override {
    if (filled_) Settle(log_.chain_, status);
  }

 private:
  AuditLog& log_;
  bool force_;
  bool filled_ = false;
};

AuditLog::AuditLog(std::unique_ptr<SigningKey> key, AuditChainOptions options, const Clock* clock)
    : key_(std::move(key)), chain_(std::move(options), key_.get()), clock_(clock) {}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(Store& store, std::unique_ptr<SigningKey> key,
                                                 AuditLogOptions options) {
  // A read-only store (a node started on a read-only data dir) takes no records, but its
  // chain can still be read: only a store without its salt yet needs writing.
  EDGE_ASSIGN_OR_RETURN(std::optional<std::string> salt, store.Get(Family::kMeta, kAuditSaltKey));
  if (!salt) {
    if (store.mode() != OpenMode::kReadWrite) {
      return InvalidArgument("the audit log needs the store open read-write");
    }
    EDGE_ASSIGN_OR_RETURN(std::string fresh, RandomBytes(32));
    EDGE_RETURN_IF_ERROR(store.Put(Family::kMeta, kAuditSaltKey, fresh));
    salt = std::move(fresh);
  }
  EDGE_ASSIGN_OR_RETURN(AuditTail tail, ReadAuditTail(store));
  const Clock* clock = options.clock != nullptr ? options.clock : &SystemClock();
  AuditChainOptions chain_options;
  chain_options.node = options.node;
  chain_options.digest_every = options.digest_every;
  chain_options.digest_every_us = options.digest_every_us;
  chain_options.salt = std::move(*salt);
  std::unique_ptr<AuditLog> log(new AuditLog(std::move(key), std::move(chain_options), clock));
  EDGE_RETURN_IF_ERROR(
      log->chain_.Restore(tail.last_record, tail.last_digest, clock->WallMicros()));
  return log;
}

std::unique_ptr<Job> AuditLog::MakeAppendJob(const AuditRecord& record,
                                             std::unique_ptr<LoopJob> then) {
  return std::make_unique<AppendJob>(*this, record, std::move(then));
}

std::unique_ptr<JobPart> AuditLog::MakeCommitPart(const AuditRecord& record) {
  return std::make_unique<CommitPart>(*this, chain_.EncodeTail(record));
}

std::unique_ptr<JobPart> AuditLog::MakeCommitPart(const AuditRecordRef& record) {
  return std::make_unique<CommitPart>(*this, chain_.EncodeTail(record));
}

std::unique_ptr<JobPart> AuditLog::MakeCommitPartFromTail(std::string tail, int format) {
  return std::make_unique<CommitPart>(*this, std::move(tail), format);
}

std::unique_ptr<Job> AuditLog::MakeDigestJob(bool force) {
  return std::make_unique<DigestJob>(*this, force);
}

}  // namespace edge::ledger
