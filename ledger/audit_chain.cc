#include "ledger/audit_chain.h"

#include "ledger/audit_binary.h"

namespace edge::ledger {
namespace {

std::string KeyOf(char kind, uint64_t seq) {
  std::string key(9, '\0');
  key[0] = kind;
  for (int i = 0; i < 8; ++i) key[1 + i] = static_cast<char>(seq >> (56 - 8 * i));
  return key;
}

Status DataLoss(std::string m) { return Internal("audit log: " + std::move(m)); }

}  // namespace

std::string AuditRecordKey(uint64_t seq) { return KeyOf(kAuditRecordPrefix, seq); }
std::string AuditDigestKey(uint64_t digest_seq) { return KeyOf(kAuditDigestPrefix, digest_seq); }

bool ParseAuditKey(std::string_view key, char* kind, uint64_t* seq) {
  if (key.size() != 9 || (key[0] != kAuditRecordPrefix && key[0] != kAuditDigestPrefix)) {
    return false;
  }
  *kind = key[0];
  *seq = 0;
  for (int i = 0; i < 8; ++i) *seq = *seq << 8 | static_cast<uint8_t>(key[1 + i]);
  return true;
}

AuditChain::AuditChain(AuditChainOptions options, SigningKey* key)
    : options_(std::move(options)), key_(key) {
  if (options_.digest_every == 0) options_.digest_every = 1;
  head_.node = options_.node;
}

Status AuditChain::Restore(std::string_view last_record_line, std::string_view last_digest_line,
                           int64_t now_us) {
  State s;
  if (!last_record_line.empty()) {
    Result<RecordLine> r = DecodeStoredRecord(last_record_line);
    if (!r.ok()) return DataLoss("the last record: " + r.status().message());
    if (!r->hash_matches) return DataLoss("the last record does not match its hash");
    s.last_seq = r->seq;
    s.last_hash = r->hash;
  }
  if (!last_digest_line.empty()) {
    Result<DigestLine> d = DecodeDigestLine(last_digest_line);
    if (!d.ok()) return DataLoss("the last digest: " + d.status().message());
    s.digest_seq = d->digest.digest_seq;
    s.digest_hash = d->line_hash;
    s.signed_seq = d->digest.last_seq;
    if (s.signed_seq > s.last_seq) return DataLoss("the last digest covers records not stored");
  }
  s.last_digest_us = now_us;
  state_ = committed_ = s;
  Committed();
  return Status::Ok();
}

std::string AuditChain::EncodeTail(const AuditRecord& record) const {
  const std::string caller = ApplyCallerIpMode(record.caller, record.caller_ip, options_.salt);
  return EncodeRecordFields(record, options_.node, caller);
}

std::string AuditChain::EncodeTail(const AuditRecordRef& record) const {
  const std::string caller = ApplyCallerIpMode(record.caller, record.caller_ip, options_.salt);
  return EncodeRecordFields(record, options_.node, caller);
}

Status AuditChain::Append(const AuditRecord& record, int64_t now_us,
                          std::vector<AuditEntry>* out) {
  return AppendTail(EncodeTail(record), now_us, out);
}

Status AuditChain::AppendTail(std::string_view tail, int64_t now_us,
                              std::vector<AuditEntry>* out, int format) {
  const State before = state_;
  const size_t entries_before = out->size();
  if (state_.last_digest_us == 0) state_.last_digest_us = now_us;  // not restored: a new log
  const uint64_t seq = state_.last_seq + 1;
  Sha256 hash;
  out->push_back({AuditRecordKey(seq),
                  format == 1 ? EncodeRecordLineFromTail(tail, seq, state_.last_hash, &hash)
                              : EncodeStoredRecord(tail, seq, state_.last_hash, &hash)});
  state_.last_seq = seq;
  state_.last_hash = hash;
  Status st = state_.last_seq - state_.signed_seq >= options_.digest_every
                  ? WriteDigest(now_us, out)
                  : DigestIfDue(now_us, false, out);
  if (!st.ok()) {
    state_ = before;
    out->resize(entries_before);
  }
  return st;
}

Status AuditChain::DigestIfDue(int64_t now_us, bool force, std::vector<AuditEntry>* out) {
  if (state_.last_seq == state_.signed_seq) return Status::Ok();
  if (!force && now_us - state_.last_digest_us < options_.digest_every_us) return Status::Ok();
  return WriteDigest(now_us, out);
}

Status AuditChain::WriteDigest(int64_t now_us, std::vector<AuditEntry>* out) {
  AuditDigest d;
  d.digest_seq = state_.digest_seq + 1;
  d.node = options_.node;
  d.first_seq = state_.signed_seq + 1;
  d.last_seq = state_.last_seq;
  d.chain_head = state_.last_hash;
  d.prev_digest_hash = state_.digest_hash;
  d.time_us = now_us;
  d.key_id = key_->key_id();
  EDGE_ASSIGN_OR_RETURN(std::string signature, key_->Sign(EncodeDigestSignedBytes(d)));
  std::string line = EncodeDigestLine(d, signature);
  state_.digest_seq = d.digest_seq;
  state_.digest_hash = Sha256Of(line);
  state_.signed_seq = d.last_seq;
  state_.last_digest_us = now_us;
  out->push_back({AuditDigestKey(d.digest_seq), std::move(line), Family::kAuditDigests});
  return Status::Ok();
}

void AuditChain::Committed() {
  committed_ = state_;
  std::lock_guard<std::mutex> lock(head_mu_);
  head_.seq = state_.last_seq;
  head_.hash = state_.last_hash;
  head_.digest_seq = state_.digest_seq;
  head_.digest_hash = state_.digest_hash;
  head_.signed_seq = state_.signed_seq;
}

void AuditChain::Abandoned() { state_ = committed_; }

AuditChainHead AuditChain::head() const {
  std::lock_guard<std::mutex> lock(head_mu_);
  return head_;
}

}  // namespace edge::ledger
