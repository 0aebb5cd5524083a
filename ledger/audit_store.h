#pragma once

// Reading the audit log out of the store's "audit" and "audit_digests" column families: in
// log order, as an export, verified, or tallied for residency. Works on any open mode (offline
// commands open the store read-only or as a secondary beside a running node). Thread-safe as
// Store is.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ledger/audit_residency.h"
#include "ledger/audit_verify.h"
#include "ledger/store.h"

namespace edge::ledger {

// The lines of the log in order (records as an export gives them: audit_codec.h's
// RecordLineOfStored): records by seq, each digest right after the record it ends at,
// anything else in the family (it does not belong there) after them. `where` names the
// store key; `seq` is the record's seq from its key, a digest's last_seq, or 0 for a stray
// value. Return false from `visit` to stop.
using AuditLineVisitor =
    std::function<bool(std::string_view line, std::string_view where, uint64_t seq)>;
Status ScanAuditLog(const Store& store, const AuditLineVisitor& visit);

// The last record's stored value and the last digest's line ("" when none): where the chain
// continues.
struct AuditTail {
  std::string last_record;
  std::string last_digest;
};
Result<AuditTail> ReadAuditTail(const Store& store);

// The line of digest number `digest_seq`, if the store has it.
Result<std::optional<std::string>> GetAuditDigest(const Store& store, uint64_t digest_seq);

// A time window [from_us, to_us).
struct TimeWindow {
  int64_t from_us = std::numeric_limits<int64_t>::min();
  int64_t to_us = std::numeric_limits<int64_t>::max();
  bool Contains(int64_t t) const { return t >= from_us && t < to_us; }
  bool all() const {
    return from_us == std::numeric_limits<int64_t>::min() &&
           to_us == std::numeric_limits<int64_t>::max();
  }
};

// `llm-edge audit export` and GET /admin/audit: the lines (without newlines) of the records
// whose time is in the window, as one run of consecutive records (from the first to the last
// in the window, so that the chain has no hole), extended to the end of the digest that
// covers the last one (so that every exported record is signed), with the digests that end
// inside that run. An export verifies on its own with the node's public key.
Status ExportAuditLog(const Store& store, const TimeWindow& window,
                      const std::function<void(std::string_view line)>& emit);

// `llm-edge audit verify --data-dir`: the whole log, from record 1 and digest 1.
Result<AuditVerifyReport> VerifyAuditStore(const Store& store, const VerifyingKey* key);

// `llm-edge audit residency --data-dir`: the records in the window. Records that do not
// decode are not counted here (verify reports them).
Status TallyResidency(const Store& store, const TimeWindow& window, ResidencyTally* tally);

}  // namespace edge::ledger
