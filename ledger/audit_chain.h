#pragma once

// The audit log's writer-side state: numbers records, links each to the previous one by
// hash, and every `digest_every` records or `digest_every_us` signs a digest of the chain
// (AWS CloudTrail's log file integrity design: hash chain + periodic signed digests that
// chain to each other). It produces the key/value pairs of the store's "audit" and
// "audit_digests" column families; whoever owns the write batch puts them there.
//
// Threads: everything but head() runs on one thread, the ledger writer's, in the order the
// records were submitted, so sequence numbers follow commit order with no lock. head() may
// be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ledger/audit_codec.h"
#include "ledger/audit_key.h"
#include "ledger/audit_record.h"
#include "ledger/store.h"

namespace edge::ledger {

// Keys: 'r' + big-endian seq for records (family "audit"), 'd' + big-endian digest_seq for
// digests (family "audit_digests"; "audit" in stores written before it existed), so that each
// kind iterates in order.
std::string AuditRecordKey(uint64_t seq);
std::string AuditDigestKey(uint64_t digest_seq);
inline constexpr char kAuditRecordPrefix = 'r';
inline constexpr char kAuditDigestPrefix = 'd';
// The seq of a record or digest key; false for anything else.
bool ParseAuditKey(std::string_view key, char* kind, uint64_t* seq);

// The "meta" column family's key for the salt of audit.caller_ip: hash.
inline constexpr std::string_view kAuditSaltKey = "audit.caller_salt";

// A pair for the store: records go to the "audit" column family, digests to "audit_digests".
struct AuditEntry {
  std::string key;
  std::string value;
  Family family = Family::kAudit;
};

// The chain's latest state, for peers to witness (the federation carries it).
struct AuditChainHead {
  std::string node;
  uint64_t seq = 0;      // the last record's; 0 = empty log
  Sha256 hash{};         // the last record's hash
  uint64_t digest_seq = 0;
  Sha256 digest_hash{};  // SHA-256 of the last digest's line
  uint64_t signed_seq = 0;  // the last record a digest covers
};

struct AuditChainOptions {
  std::string node;                 // node.id, written into digests
  uint64_t digest_every = 1000;     // audit.digest_every
  int64_t digest_every_us = 60000000;  // audit.digest_every_s
  std::string salt;                 // for CallerIpMode::kHash
};

class AuditChain {
 public:
  // `key` signs digests; it must outlive the chain.
  AuditChain(AuditChainOptions options, SigningKey* key);

  // Continues the chain found in the store: its last record's stored value and last digest's
  // line (empty when there is none). kInternal when they do not decode or disagree.
  Status Restore(std::string_view last_record_line, std::string_view last_digest_line,
                 int64_t now_us);

  // Appends `record` (caller as the node saw it; node and the caller_ip mode are applied
  // here) as the next record and, when one is due, a digest. Its entries are appended to
  // *out. On error nothing changed. `record` is only read: it stays with its owner (a
  // worker's job), so its memory is freed by the thread that allocated it.
  Status Append(const AuditRecord& record, int64_t now_us, std::vector<AuditEntry>* out);
  // The same in two steps: EncodeTail, on any thread (it reads only what the constructor
  // set), makes what does not depend on the chain (audit_binary.h: EncodeRecordFields);
  // AppendTail, on the chain's thread, links it. A tail of format 1 (a format-1 line's
  // members from "time" on, audit_codec.h: EncodeRecordTail, as a journal written by an older
  // node holds it) is stored as a format-1 line.
  std::string EncodeTail(const AuditRecord& record) const;
  std::string EncodeTail(const AuditRecordRef& record) const;
  Status AppendTail(std::string_view tail, int64_t now_us, std::vector<AuditEntry>* out,
                    int format = 2);
  // A digest of the records not yet covered, if there are any and `force` or the interval
  // has passed since the last digest (a timer calls it; shutdown forces it).
  Status DigestIfDue(int64_t now_us, bool force, std::vector<AuditEntry>* out);

  // The write holding the entries produced since the last call committed (publishes the head
  // for head()), or failed (the chain goes back to the last committed state, so that the
  // records that were lost leave no gap).
  void Committed();
  void Abandoned();

  AuditChainHead head() const;
  uint64_t next_seq() const { return state_.last_seq + 1; }

  // The chain's position; Mark()/RollbackTo() within one write: a point to come back to
  // when a job's entries could not be added to the batch.
  struct State {
    uint64_t last_seq = 0;
    Sha256 last_hash{};
    uint64_t digest_seq = 0;
    Sha256 digest_hash{};
    uint64_t signed_seq = 0;  // last_seq of the last digest
    int64_t last_digest_us = 0;
  };
  State Mark() const { return state_; }
  void RollbackTo(const State& mark) { state_ = mark; }

 private:
  Status WriteDigest(int64_t now_us, std::vector<AuditEntry>* out);

  AuditChainOptions options_;
  SigningKey* key_;
  State state_;
  State committed_;
  mutable std::mutex head_mu_;  // head() readers vs Committed(); never on the request path
  AuditChainHead head_;
};

}  // namespace edge::ledger
