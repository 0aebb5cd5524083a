#include "ledger/audit_store.h"

#include <rocksdb/db.h>

#include <map>
#include <memory>
#include <vector>

#include "ledger/audit_chain.h"
#include "ledger/audit_codec.h"

namespace edge::ledger {
namespace {

std::string WhereOf(std::string_view key) {
  char kind;
  uint64_t seq;
  if (ParseAuditKey(key, &kind, &seq)) {
    return std::string("store key ") + kind + "/" + std::to_string(seq);
  }
  return "store key " + ToHex(reinterpret_cast<const uint8_t*>(key.data()), key.size()) +
         " (hex)";
}

// The last value in `family` whose key starts with `prefix`, or "".
Result<std::string> LastWithPrefix(const Store& store, Family family, char prefix) {
  rocksdb::ColumnFamilyHandle* h = store.Handle(family);
  if (h == nullptr) return std::string();
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(rocksdb::ReadOptions(), h));
  std::string upper(1, static_cast<char>(prefix + 1));
  it->SeekForPrev(upper);
  while (it->Valid() && it->key().size() > 0 && it->key()[0] == prefix + 1) it->Prev();
  std::string out;
  if (it->Valid() && it->key().size() > 0 && it->key()[0] == prefix) out = it->value().ToString();
  Status st = FromRocks(it->status(), "audit tail");
  if (!st.ok()) return st;
  return out;
}

// Every digest: those in their own family, then those a store written before it existed
// kept in the audit family, ahead of the records. Also anything else found there.
Status ForEachDigest(const Store& store, const Store::Visitor& visit) {
  bool go_on = true;
  EDGE_RETURN_IF_ERROR(store.Scan(Family::kAuditDigests, "", "", [&](auto key, auto value) {
    return go_on = visit(key, value);
  }));
  if (!go_on) return Status::Ok();
  return store.Scan(Family::kAudit, "", std::string(1, kAuditRecordPrefix), visit);
}

struct Digests {
  std::multimap<uint64_t, std::pair<std::string, std::string>> by_last_seq;  // line, where
  std::vector<std::pair<std::string, std::string>> stray;  // unreadable digests, other keys
};

}  // namespace

Status ScanAuditLog(const Store& store, const AuditLineVisitor& visit) {
  // Digests are few (one per digest_every records): read them first, then stream records.
  Digests digests;
  std::string record_start(1, kAuditRecordPrefix);
  EDGE_RETURN_IF_ERROR(ForEachDigest(store, [&](auto key, auto value) {
    char kind;
    uint64_t seq;
    std::optional<uint64_t> last;
    if (ParseAuditKey(key, &kind, &seq) && (last = DigestLineLastSeq(value))) {
      digests.by_last_seq.emplace(*last, std::make_pair(std::string(value), WhereOf(key)));
    } else {
      digests.stray.emplace_back(std::string(value), WhereOf(key));
    }
    return true;
  }));
  bool go_on = true;
  EDGE_RETURN_IF_ERROR(store.Scan(Family::kAudit, record_start, "", [&](auto key, auto value) {
    char kind;
    uint64_t seq;
    if (!ParseAuditKey(key, &kind, &seq)) {
      digests.stray.emplace_back(std::string(value), WhereOf(key));
      return true;
    }
    if (!(go_on = visit(RecordLineOfStored(value), WhereOf(key), seq))) return false;
    auto [begin, end] = digests.by_last_seq.equal_range(seq);
    for (auto it = begin; it != end && go_on; ++it) {
      go_on = visit(it->second.first, it->second.second, seq);
    }
    digests.by_last_seq.erase(begin, end);
    return go_on;
  }));
  for (const auto& [last, d] : digests.by_last_seq) {
    if (go_on) go_on = visit(d.first, d.second, last);
  }
  for (const auto& d : digests.stray) {
    if (go_on) go_on = visit(d.first, d.second, 0);
  }
  return Status::Ok();
}

Result<AuditTail> ReadAuditTail(const Store& store) {
  AuditTail tail;
  EDGE_ASSIGN_OR_RETURN(tail.last_record,
                        LastWithPrefix(store, Family::kAudit, kAuditRecordPrefix));
  EDGE_ASSIGN_OR_RETURN(tail.last_digest,
                        LastWithPrefix(store, Family::kAuditDigests, kAuditDigestPrefix));
  if (tail.last_digest.empty()) {  // a store from before the digests' own family
    EDGE_ASSIGN_OR_RETURN(tail.last_digest,
                          LastWithPrefix(store, Family::kAudit, kAuditDigestPrefix));
  }
  return tail;
}

Status ExportAuditLog(const Store& store, const TimeWindow& window,
                      const std::function<void(std::string_view line)>& emit) {
  // Pass 1: the run of records in the window, and where the covering digest ends.
  uint64_t first = 0, last = 0;
  std::string record_start(1, kAuditRecordPrefix);
  EDGE_RETURN_IF_ERROR(store.Scan(Family::kAudit, record_start, "", [&](auto key, auto value) {
    char kind;
    uint64_t seq;
    if (!ParseAuditKey(key, &kind, &seq)) return true;
    std::optional<int64_t> t = StoredValueTime(value);
    if (window.all() || (t && window.Contains(*t))) {
      if (first == 0) first = seq;
      last = seq;
    }
    return true;
  }));
  if (first == 0) return Status::Ok();
  uint64_t end = last;
  EDGE_RETURN_IF_ERROR(ForEachDigest(store, [&](auto, auto value) {
    std::optional<uint64_t> d_last = DigestLineLastSeq(value);
    if (d_last && *d_last >= last && (end == last || *d_last < end)) end = *d_last;
    return true;
  }));
  // Pass 2: the lines, in log order.
  return ScanAuditLog(store, [&](std::string_view line, std::string_view, uint64_t seq) {
    if (seq >= first && seq <= end) emit(line);
    return seq <= end || TypeOfLine(line) == LineType::kDigest;
  });
}

Result<std::optional<std::string>> GetAuditDigest(const Store& store, uint64_t digest_seq) {
  const std::string key = AuditDigestKey(digest_seq);
  EDGE_ASSIGN_OR_RETURN(std::optional<std::string> line, store.Get(Family::kAuditDigests, key));
  if (line) return line;
  return store.Get(Family::kAudit, key);
}

Result<AuditVerifyReport> VerifyAuditStore(const Store& store, const VerifyingKey* key) {
  AuditVerifier verifier(key, /*from_genesis=*/true);
  EDGE_RETURN_IF_ERROR(ScanAuditLog(store, [&](std::string_view line, std::string_view where,
                                                uint64_t) {
    verifier.AddLine(line, where);
    return true;
  }));
  return verifier.Finish();
}

Status TallyResidency(const Store& store, const TimeWindow& window, ResidencyTally* tally) {
  std::string record_start(1, kAuditRecordPrefix);
  return store.Scan(Family::kAudit, record_start, "", [&](auto key, auto value) {
    char kind;
    uint64_t seq;
    if (!ParseAuditKey(key, &kind, &seq)) return true;
    Result<RecordLine> r = DecodeStoredRecord(value);
    if (r.ok() && window.Contains(r->record.time_us)) tally->Add(r->seq, r->record);
    return true;
  });
}

}  // namespace edge::ledger
