#pragma once

// Checks an audit log without trusting the node that wrote it: every record's hash, the
// links between records, the sequence (nothing removed, inserted or reordered), and every
// digest's signature, chain to the previous digest and chain head. Fed lines in log order,
// from the store or from an export; keeps O(records per digest) memory.
//
// What it cannot see alone: records cut from the end after the last digest, or the last
// digests cut with them. Peers' witnessed chain heads close that gap (federation).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/audit_codec.h"
#include "ledger/audit_key.h"

namespace edge::ledger {

struct AuditVerifyReport {
  uint64_t records = 0, digests = 0;
  uint64_t first_seq = 0, last_seq = 0;  // of the records seen
  uint64_t signed_through = 0;           // the last record a valid digest covers
  bool signatures_checked = false;
  // The first problem of each kind; empty when none. A record problem names the record
  // (seq, request_id, position); a digest problem names the digest.
  std::string record_error;
  uint64_t record_error_seq = 0;
  std::string digest_error;
  uint64_t digest_error_seq = 0;
  bool ok() const { return record_error.empty() && digest_error.empty(); }
  // "OK: ..." or the failures, one per line; what `llm-edge audit verify` prints.
  std::string Summary() const;
};

class AuditVerifier {
 public:
  // `key` (may be null: signatures are then not checked, and the report says so) must
  // outlive the verifier. `from_genesis`: the log must start at record 1 and digest 1 (a
  // whole store); false for an export that starts later (its first record's `prev` is taken
  // as given, and checked by the digests that cover it).
  AuditVerifier(const VerifyingKey* key, bool from_genesis);

  // One line; `where` says where it was found ("line 12", "store key r/00..17").
  void AddLine(std::string_view line, std::string_view where);
  void AddRecordLine(std::string_view line, std::string_view where);
  void AddDigestLine(std::string_view line, std::string_view where);
  AuditVerifyReport Finish();

 private:
  struct PendingDigest {
    AuditDigest digest;
    std::string where;
  };
  void RecordError(uint64_t seq, std::string message);
  void DigestError(uint64_t digest_seq, std::string message);
  void CheckChainHead(const AuditDigest& d, const Sha256& computed, std::string_view where);

  const VerifyingKey* key_;
  bool from_genesis_;
  AuditVerifyReport report_;
  // Records.
  bool any_record_ = false;
  uint64_t last_seq_ = 0;
  Sha256 last_stated_hash_{};
  Sha256 computed_{};  // the chain recomputed from the records' bytes
  // Recomputed hashes of records not yet covered by a digest, for digests read after them.
  std::unordered_map<uint64_t, Sha256> uncovered_;
  // Digests.
  bool any_digest_ = false;
  AuditDigest last_digest_;
  Sha256 last_digest_hash_{};
  std::map<uint64_t, PendingDigest> waiting_;  // by last_seq: their records not read yet
};

}  // namespace edge::ledger
