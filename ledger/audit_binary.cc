#include "ledger/audit_binary.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "common/utc_time.h"

namespace edge::ledger {
namespace {

// A record is ~200 bytes; a value past this is not one (audit_codec.h's line limit).
constexpr size_t kMaxValueBytes = 1 << 20;
constexpr size_t kHashBytes = 32;

// Writes into a buffer sized ahead (a record's fields are ~200 bytes): each value is a room
// check and a copy, no std::string append per byte. The worker encodes every request's record.
class Out {
 public:
  explicit Out(size_t reserve) : s_(reserve, '\0') {}
  void Byte(uint8_t b) {
    Room(1);
    s_[n_++] = static_cast<char>(b);
  }
  void Varint(uint64_t v) {
    Room(10);
    PutVarint(v);
  }
  void Sint(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Fixed64(int64_t v) {
    Room(8);
    const auto u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) s_[n_++] = static_cast<char>(u >> (8 * i));
  }
  void Str(std::string_view v) {
    Room(10 + v.size());
    PutVarint(v.size());
    char* at = s_.data() + n_;
    if (v.empty()) return;  // an empty view may have no data: memcpy must not see it
    std::memcpy(at, v.data(), v.size());
    n_ += v.size();
    if (IsAscii(v) || simdjson::validate_utf8(v.data(), v.size())) return;
    for (size_t i = 0; i < v.size(); ++i) {
      if (static_cast<unsigned char>(at[i]) >= 0x80) at[i] = '?';
    }
  }
  std::string Take() {
    s_.resize(n_);
    return std::move(s_);
  }

 private:
  void Room(size_t k) {
    if (s_.size() - n_ < k) s_.resize(std::max(2 * s_.size(), n_ + k));
  }
  void PutVarint(uint64_t v) {
    while (v >= 0x80) {
      s_[n_++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    s_[n_++] = static_cast<char>(v);
  }
  // Eight bytes at a time: every string of every record passes here.
  static bool IsAscii(std::string_view v) {
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= v.size(); i += 8) {
      uint64_t x;
      std::memcpy(&x, v.data() + i, 8);
      any |= x;
    }
    for (; i < v.size(); ++i) any |= static_cast<unsigned char>(v[i]);
    return (any & 0x8080808080808080ULL) == 0;
  }
  std::string s_;
  size_t n_ = 0;
};

// Reads what Out wrote; every read fails (and stays failed) past the end.
class In {
 public:
  explicit In(std::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && at_ == s_.size(); }
  uint8_t Byte() {
    if (at_ >= s_.size()) return Fail(), 0;
    return static_cast<uint8_t>(s_[at_++]);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = Byte();
      if (!ok_) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail(), 0;
  }
  int64_t Sint() {
    const uint64_t u = Varint();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  int64_t Fixed64() {
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(Byte()) << (8 * i);
    return static_cast<int64_t>(u);
  }
  bool Str(std::string* out) {
    const uint64_t n = Varint();
    if (!ok_ || n > s_.size() - at_) return Fail(), false;
    out->assign(s_.substr(at_, n));
    at_ += n;
    return true;
  }
  // A count of items of at least `min_bytes` each: more than the bytes left could hold is a
  // lie (and must not size a vector).
  size_t Count(size_t min_bytes) {
    const uint64_t n = Varint();
    if (!ok_ || n > (s_.size() - at_) / min_bytes) return Fail(), 0;
    return static_cast<size_t>(n);
  }
  size_t position() const { return at_; }

 private:
  void Fail() { ok_ = false; }
  std::string_view s_;
  size_t at_ = 0;
  bool ok_ = true;
};

// The stored byte of each audit.caller_ip mode: part of the format, whatever the enum's order.
uint8_t ModeByte(CallerIpMode m) {
  switch (m) {
    case CallerIpMode::kFull:
      return 0;
    case CallerIpMode::kTruncate:
      return 1;
    case CallerIpMode::kHash:
      return 2;
  }
  return 0xff;  // not a mode: DecodeRecordFields refuses it
}
bool ModeOf(uint8_t b, CallerIpMode* m) {
  for (CallerIpMode mode : {CallerIpMode::kFull, CallerIpMode::kTruncate, CallerIpMode::kHash}) {
    if (ModeByte(mode) == b) {
      *m = mode;
      return true;
    }
  }
  return false;
}

}  // namespace

namespace {

// One encoder for both spellings of a record (owned strings, views): the bytes cannot differ.
template <class Record>
std::string EncodeFields(const Record& r, std::string_view node, std::string_view caller) {
  Out o(256);
  o.Fixed64(r.time_us);
  o.Str(r.request_id);
  o.Str(node);
  o.Str(r.key_id);
  o.Str(caller);
  o.Byte(ModeByte(r.caller_ip));
  o.Str(r.country);
  o.Str(r.jurisdiction);
  o.Str(r.jurisdiction_source);
  o.Str(r.residency);
  o.Str(r.model);
  o.Varint(r.candidates.size());
  for (const auto& c : r.candidates) {
    o.Str(c.deployment);
    o.Str(c.jurisdiction);
    o.Str(c.excluded);
  }
  o.Varint(r.attempts.size());
  for (const auto& a : r.attempts) {
    o.Str(a.deployment);
    o.Str(a.jurisdiction);
    o.Str(a.outcome);
    o.Sint(a.status);
    o.Sint(a.latency_ms);
  }
  o.Sint(r.status);
  o.Str(r.outcome);
  return o.Take();
}

}  // namespace

std::string EncodeRecordFields(const AuditRecord& r, std::string_view node,
                               std::string_view caller) {
  return EncodeFields(r, node, caller);
}

std::string EncodeRecordFields(const AuditRecordRef& r, std::string_view node,
                               std::string_view caller) {
  return EncodeFields(r, node, caller);
}

bool DecodeRecordFields(std::string_view fields, AuditRecord* out) {
  if (fields.size() > kMaxValueBytes) return false;
  In in(fields);
  AuditRecord r;
  r.time_us = in.Fixed64();
  in.Str(&r.request_id) && in.Str(&r.node) && in.Str(&r.key_id) && in.Str(&r.caller);
  if (!in.ok() || !ModeOf(in.Byte(), &r.caller_ip)) return false;
  in.Str(&r.country) && in.Str(&r.jurisdiction) && in.Str(&r.jurisdiction_source) &&
      in.Str(&r.residency) && in.Str(&r.model);
  // An item is at least its strings' length bytes (and an attempt's two numbers).
  const size_t n_candidates = in.Count(3);
  for (size_t i = 0; i < n_candidates && in.ok(); ++i) {
    AuditCandidate& c = r.candidates.emplace_back();
    in.Str(&c.deployment) && in.Str(&c.jurisdiction) && in.Str(&c.excluded);
  }
  const size_t n_attempts = in.Count(5);
  for (size_t i = 0; i < n_attempts && in.ok(); ++i) {
    AuditAttempt& a = r.attempts.emplace_back();
    in.Str(&a.deployment) && in.Str(&a.jurisdiction) && in.Str(&a.outcome);
    const int64_t status = in.Sint();
    if (status < INT32_MIN || status > INT32_MAX) return false;
    a.status = static_cast<int>(status);
    a.latency_ms = in.Sint();
  }
  const int64_t status = in.Sint();
  if (status < INT32_MIN || status > INT32_MAX) return false;
  r.status = static_cast<int>(status);
  in.Str(&r.outcome);
  // One spelling per record: no trailing bytes, shortest varints, strings as stored.
  if (!in.done() || EncodeRecordFields(r, r.node, r.caller) != fields) return false;
  // Only a time its JSON line can spell (years 1 to 9999), so that every record that decodes
  // also renders to a line that decodes.
  Result<int64_t> spelled = ParseUtcTime(FormatRfc3339Micros(r.time_us));
  if (!spelled.ok() || *spelled != r.time_us) return false;
  *out = std::move(r);
  return true;
}

std::string RecordCanonicalBytes(std::string_view fields, uint64_t seq) {
  Out o(1 + 10 + fields.size() + 64);  // and room for EncodeStoredRecord's two hashes
  o.Byte(static_cast<uint8_t>(kStoredRecordTag));
  o.Varint(seq);
  std::string out = o.Take();
  out += fields;
  return out;
}

std::string EncodeStoredRecord(std::string_view fields, uint64_t seq, const Sha256& prev,
                               Sha256* hash) {
  std::string value = RecordCanonicalBytes(fields, seq);
  const size_t canonical = value.size();
  value.reserve(canonical + 2 * kHashBytes);
  const Sha256 own = ChainHash(prev, value);
  value.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  value.append(reinterpret_cast<const char*>(own.data()), own.size());
  *hash = own;  // last: `hash` may be `prev` (a caller walking a chain)
  return value;
}

std::optional<StoredRecord> SplitStoredRecord(std::string_view value) {
  if (value.size() > kMaxValueBytes || value.size() < 2 + 2 * kHashBytes ||
      value[0] != kStoredRecordTag) {
    return std::nullopt;
  }
  StoredRecord r;
  r.canonical = value.substr(0, value.size() - 2 * kHashBytes);
  In in(r.canonical);
  in.Byte();
  r.seq = in.Varint();
  if (!in.ok()) return std::nullopt;
  r.fields = r.canonical.substr(in.position());
  std::memcpy(r.prev.data(), value.data() + r.canonical.size(), kHashBytes);
  std::memcpy(r.hash.data(), value.data() + r.canonical.size() + kHashBytes, kHashBytes);
  return r;
}

std::optional<int64_t> StoredRecordTime(std::string_view value) {
  std::optional<StoredRecord> r = SplitStoredRecord(value);
  if (!r) return std::nullopt;
  In in(r->fields);
  const int64_t t = in.Fixed64();
  if (!in.ok()) return std::nullopt;
  return t;
}

}  // namespace edge::ledger
