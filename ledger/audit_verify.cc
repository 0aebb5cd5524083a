#include "ledger/audit_verify.h"

#include <algorithm>

namespace edge::ledger {
namespace {

std::string Range(uint64_t a, uint64_t b) {
  return a == b ? std::to_string(a) : std::to_string(a) + ".." + std::to_string(b);
}

}  // namespace

AuditVerifier::AuditVerifier(const VerifyingKey* key, bool from_genesis)
    : key_(key), from_genesis_(from_genesis) {
  report_.signatures_checked = key != nullptr;
}

void AuditVerifier::RecordError(uint64_t seq, std::string message) {
  if (!report_.record_error.empty()) return;
  report_.record_error = std::move(message);
  report_.record_error_seq = seq;
}

void AuditVerifier::DigestError(uint64_t digest_seq, std::string message) {
  if (!report_.digest_error.empty()) return;
  report_.digest_error = std::move(message);
  report_.digest_error_seq = digest_seq;
}

void AuditVerifier::AddLine(std::string_view line, std::string_view where) {
  switch (TypeOfLine(line)) {
    case LineType::kRecord:
      AddRecordLine(line, where);
      return;
    case LineType::kDigest:
      AddDigestLine(line, where);
      return;
    case LineType::kUnknown:
      RecordError(last_seq_ + 1, "the line at " + std::string(where) +
                                     " is neither a record nor a digest (inserted or altered)");
      return;
  }
}

void AuditVerifier::AddRecordLine(std::string_view line, std::string_view where) {
  ++report_.records;
  Result<RecordLine> decoded = DecodeRecordLine(line);
  if (!decoded.ok()) {
    RecordError(last_seq_ + 1, "the record at " + std::string(where) + " is altered: " +
                                   decoded.status().message());
    return;
  }
  const RecordLine& r = *decoded;
  const uint64_t seq = r.seq;
  const std::string name = "record " + std::to_string(seq) + " (request_id " +
                           r.record.request_id + ", " + std::string(where) + ")";
  if (!any_record_) {
    report_.first_seq = seq;
    computed_ = from_genesis_ ? kZeroHash : r.prev;
    if (from_genesis_ && seq != 1) {
      RecordError(1, "records " + Range(1, seq - 1) + " removed or moved: the log starts at " +
                         name);
    } else if (from_genesis_ && r.prev != kZeroHash) {
      RecordError(1, name + " altered: the first record must follow the zero hash");
    }
  } else if (seq > last_seq_ + 1) {
    RecordError(last_seq_ + 1, "records " + Range(last_seq_ + 1, seq - 1) +
                                   " removed or moved: the record after " +
                                   std::to_string(last_seq_) + " is " + name);
  } else if (seq <= last_seq_) {
    RecordError(seq, name + " out of order (inserted or moved): it comes after record " +
                         std::to_string(last_seq_));
  }
  if (!r.hash_matches) {
    RecordError(seq, name + " altered: its content does not match its hash");
  } else if (any_record_ && seq == last_seq_ + 1 && r.prev != last_stated_hash_) {
    RecordError(last_seq_, "record " + std::to_string(last_seq_) +
                               " altered (its hash was recomputed, and " + name +
                               " still links to the original), or " + name + " inserted");
  }
  any_record_ = true;
  last_seq_ = seq;
  last_stated_hash_ = r.hash;
  report_.last_seq = std::max(report_.last_seq, seq);
  computed_ = ChainHash(computed_, r.canonical);
  uncovered_[seq] = computed_;
  auto it = waiting_.find(seq);
  if (it != waiting_.end()) {
    CheckChainHead(it->second.digest, computed_, it->second.where);
    waiting_.erase(it);
  }
}

void AuditVerifier::AddDigestLine(std::string_view line, std::string_view where) {
  ++report_.digests;
  const uint64_t expected = any_digest_ ? last_digest_.digest_seq + 1 : 1;
  Result<DigestLine> decoded = DecodeDigestLine(line);
  if (!decoded.ok()) {
    DigestError(expected, "the digest at " + std::string(where) + " is altered: " +
                              decoded.status().message());
    return;
  }
  const AuditDigest& d = decoded->digest;
  const std::string name = "digest " + std::to_string(d.digest_seq) + " (records " +
                           Range(d.first_seq, d.last_seq) + ", " + std::string(where) + ")";
  const size_t errors_before = report_.digest_error.size();
  if (key_ != nullptr && d.key_id != key_->key_id()) {
    DigestError(d.digest_seq, name + " is signed by another key (key_id " + d.key_id + ")");
  } else if (key_ != nullptr && !key_->Verify(decoded->signed_bytes, decoded->signature_der)) {
    DigestError(d.digest_seq, name + " has a bad signature: altered or forged");
  }
  if (d.last_seq < d.first_seq) DigestError(d.digest_seq, name + " covers no record");
  if (any_digest_) {
    if (d.digest_seq > expected) {
      DigestError(expected, "digests " + Range(expected, d.digest_seq - 1) +
                                " removed: the digest after " +
                                std::to_string(last_digest_.digest_seq) + " is " + name);
    } else if (d.digest_seq < expected) {
      DigestError(d.digest_seq, name + " inserted or reordered: it comes after digest " +
                                    std::to_string(last_digest_.digest_seq));
    } else if (d.prev_digest_hash != last_digest_hash_) {
      DigestError(d.digest_seq, name + " does not link to digest " +
                                    std::to_string(last_digest_.digest_seq) +
                                    " (that one altered, or this one forged)");
    }
    if (d.first_seq != last_digest_.last_seq + 1) {
      DigestError(d.digest_seq, name + " does not start where digest " +
                                    std::to_string(last_digest_.digest_seq) + " ended (record " +
                                    std::to_string(last_digest_.last_seq) + ")");
    }
    if (d.node != last_digest_.node) {
      DigestError(d.digest_seq, name + " is from node " + d.node + ", not " + last_digest_.node);
    }
  } else if (from_genesis_ && (d.digest_seq != 1 || d.first_seq != 1 ||
                               d.prev_digest_hash != kZeroHash)) {
    DigestError(1, d.digest_seq > 1 ? "digests " + Range(1, d.digest_seq - 1) +
                                          " removed: the first digest is " + name
                                    : name + " altered: the first digest must start the chain");
  }
  const bool valid = report_.digest_error.size() == errors_before && report_.digest_error.empty();
  any_digest_ = true;
  last_digest_ = d;
  last_digest_hash_ = decoded->line_hash;
  if (!valid) return;
  if (any_record_ && d.last_seq <= last_seq_) {
    auto it = uncovered_.find(d.last_seq);
    if (it != uncovered_.end()) {
      CheckChainHead(d, it->second, where);
    } else if (d.last_seq >= report_.first_seq) {
      DigestError(d.digest_seq, name + " covers record " + std::to_string(d.last_seq) +
                                    ", which is not in the log");
    }
    // else: an export that starts after this digest's records; only its chain is checked.
  } else {
    waiting_[d.last_seq] = PendingDigest{d, std::string(where)};
  }
}

void AuditVerifier::CheckChainHead(const AuditDigest& d, const Sha256& computed,
                                   std::string_view where) {
  if (computed != d.chain_head) {
    DigestError(d.digest_seq, "digest " + std::to_string(d.digest_seq) + " (records " +
                                  Range(d.first_seq, d.last_seq) + ", " + std::string(where) +
                                  "): the records do not hash to its chain head: one of them "
                                  "was altered, removed, inserted or reordered");
    return;
  }
  report_.signed_through = std::max(report_.signed_through, d.last_seq);
  std::erase_if(uncovered_, [&](const auto& kv) { return kv.first <= d.last_seq; });
}

AuditVerifyReport AuditVerifier::Finish() {
  for (const auto& [last_seq, pending] : waiting_) {
    DigestError(pending.digest.digest_seq,
                "digest " + std::to_string(pending.digest.digest_seq) + " (" + pending.where +
                    ") covers records through " + std::to_string(last_seq) +
                    ", but the log ends at record " + std::to_string(last_seq_) + ": records " +
                    Range(last_seq_ + 1, last_seq) + " removed");
  }
  waiting_.clear();
  return report_;
}

std::string AuditVerifyReport::Summary() const {
  std::string out;
  if (!ok()) {
    if (!record_error.empty()) out += "FAIL record: " + record_error + "\n";
    if (!digest_error.empty()) out += "FAIL digest: " + digest_error + "\n";
    return out;
  }
  out = "OK: " + std::to_string(records) + " records";
  if (records > 0) out += " (" + Range(first_seq, last_seq) + ")";
  out += ", " + std::to_string(digests) + " digests";
  out += signatures_checked ? ", signatures checked" : ", signatures NOT checked (no public key)";
  if (records > 0) {
    if (signed_through >= last_seq) {
      out += ", every record signed";
    } else {
      out += "; records " + Range(std::max(signed_through + 1, first_seq), last_seq) +
             " are not covered by a digest yet";
    }
  }
  return out + "\n";
}

}  // namespace edge::ledger
