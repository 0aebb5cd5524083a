#include "ledger/audit_residency.h"

namespace edge::ledger {

void ResidencyTally::Add(uint64_t seq, const AuditRecord& r) {
  if (r.residency.empty()) return;
  ResidencyCounts& c = counts_[r.residency];
  ++c.pinned;
  std::string outside;
  for (const AuditAttempt& a : r.attempts) {
    if (a.jurisdiction == r.residency || a.outcome == kNothingSentOutcome) continue;
    if (!outside.empty()) outside += ", ";
    outside += a.deployment + " (" + (a.jurisdiction.empty() ? "unknown" : a.jurisdiction) + ")";
  }
  if (!outside.empty()) {
    ++c.violations;
    violations_.push_back("record " + std::to_string(seq) + " request_id " + r.request_id +
                          ": pinned to " + r.residency + ", sent to " + outside);
  } else if (r.status >= 200 && r.status < 400) {
    ++c.served_in;
  } else {
    ++c.refused;
  }
}

std::string ResidencyTally::Report() const {
  std::string out;
  for (const auto& [name, c] : counts_) {
    out += name + " pinned=" + std::to_string(c.pinned) + " served_in=" +
           std::to_string(c.served_in) + " refused=" + std::to_string(c.refused) +
           " violations=" + std::to_string(c.violations) + "\n";
  }
  for (const std::string& v : violations_) out += "violation: " + v + "\n";
  return out;
}

}  // namespace edge::ledger
