#pragma once

// Test helpers for the audit log: a sample record, and a chain written into an in-memory
// "audit" column family (a sorted map), read back in log order.

#include <map>
#include <string>
#include <vector>

#include "ledger/audit_chain.h"

namespace edge::ledger::testing {

inline AuditRecord SampleRecord(int i) {
  AuditRecord r;
  r.time_us = 1796532440000000 + i * 1000;
  r.request_id = "req" + std::to_string(i);
  r.key_id = i % 2 ? "search-prod" : "";
  r.caller = "85.214.0." + std::to_string(i % 250 + 1);
  r.caller_ip = CallerIpMode::kFull;
  r.country = "DE";
  r.jurisdiction = "EU";
  r.jurisdiction_source = "ip";
  r.residency = "EU";
  r.model = "generate";
  r.candidates = {{"eu-primary", "EU", ""},
                  {"eu-secondary", "EU", ""},
                  {"us-primary", "US", "jurisdiction US is outside pinned EU"}};
  r.attempts = {{"eu-primary", "EU", "http_529", 529, 1200}, {"eu-secondary", "EU", "ok", 200, 3400}};
  r.status = 200;
  r.outcome = "ok";
  return r;
}

using AuditCf = std::map<std::string, std::string>;

inline void Put(AuditCf* cf, const std::vector<AuditEntry>& entries) {
  for (const AuditEntry& e : entries) (*cf)[e.key] = e.value;
}

// The lines of the column family in log order, as an export gives them: each digest right
// after its last record.
inline std::vector<std::string> LogOrder(const AuditCf& cf) {
  std::map<uint64_t, std::vector<std::string>> digests_after;
  std::vector<std::pair<uint64_t, std::string>> records;
  for (const auto& [key, value] : cf) {
    char kind;
    uint64_t seq;
    if (!ParseAuditKey(key, &kind, &seq)) continue;
    if (kind == kAuditRecordPrefix) {
      records.emplace_back(seq, RecordLineOfStored(value));
    } else {
      Result<DigestLine> d = DecodeDigestLine(value);
      digests_after[d.ok() ? d->digest.last_seq : 0].push_back(value);
    }
  }
  std::vector<std::string> lines;
  for (const std::string& d : digests_after[0]) lines.push_back(d);
  for (const auto& [seq, line] : records) {
    lines.push_back(line);
    for (const std::string& d : digests_after[seq]) lines.push_back(d);
    digests_after.erase(seq);
  }
  for (const auto& [seq, ds] : digests_after) {
    if (seq != 0) lines.insert(lines.end(), ds.begin(), ds.end());
  }
  return lines;
}

}  // namespace edge::ledger::testing
