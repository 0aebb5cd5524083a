#pragma once

// `llm-edge audit residency`: from the audit records alone, was every pinned request served
// inside its jurisdiction or refused? A request is pinned when its record names a residency;
// it is a violation when any attempt (data sent upstream) went to a deployment whose
// endpoint jurisdiction is not that one — an unknown jurisdiction included. An attempt that
// sent nothing (kNothingSentOutcome) is no transfer.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ledger/audit_record.h"

namespace edge::ledger {

struct ResidencyCounts {
  uint64_t pinned = 0;      // = served_in + refused + violations
  uint64_t served_in = 0;   // answered (status < 400), every attempt inside
  uint64_t refused = 0;     // not answered (error, or the client left), every attempt inside
  uint64_t violations = 0;  // some attempt outside
};

class ResidencyTally {
 public:
  void Add(uint64_t seq, const AuditRecord& record);

  const std::map<std::string, ResidencyCounts>& by_jurisdiction() const { return counts_; }
  // One line per violating request: seq, request id, where its data went.
  const std::vector<std::string>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }
  // "EU pinned=N served_in=N refused=N violations=N" per jurisdiction (sorted), then each
  // violation as "violation: ...".
  std::string Report() const;

 private:
  std::map<std::string, ResidencyCounts> counts_;
  std::vector<std::string> violations_;
};

}  // namespace edge::ledger
