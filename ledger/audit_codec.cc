#include "ledger/audit_codec.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "common/utc_time.h"
#include "ledger/audit_binary.h"

namespace edge::ledger {
namespace {

using LineWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kHashMember = ",\"hash\":\"";
constexpr size_t kHashSuffixBytes = kHashMember.size() + 64 + 2;  // member + hex + `"}`
constexpr std::string_view kSignatureMember = ",\"signature\":\"";

// Values come from the config and the node, but a line must stay valid JSON whatever they
// hold: bytes that are not UTF-8 become '?'. RapidJSON escapes quotes and control bytes.
bool IsAscii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

void Str(LineWriter& w, std::string_view s) {
  // Nearly every value is ASCII: a plain loop settles that faster than a validator call.
  if (IsAscii(s) || simdjson::validate_utf8(s.data(), s.size())) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  std::string clean(s);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void Key(LineWriter& w, const char* key) { w.Key(key); }

// A record line is built by appending its fixed member names as literals and its values:
// every byte it writes is what RapidJSON's writer writes for the same members in the same
// order (audit_codec_test.cc keeps a RapidJSON reference encoder and compares the two on
// adversarial records). RapidJSON escapes only '"', '\\' and bytes below 0x20, so a value
// made only of other ASCII bytes is its own JSON string between quotes; any other value, a
// rare one, goes through the Str above. Member names, nearly half of a line, cost a copy;
// values a scan and a copy: ~4x fewer instructions than the writer's per-byte state machine,
// on the ledger writer thread that every request passes through.
class LineBuilder {
 public:
  explicit LineBuilder(size_t reserve) { out_.reserve(reserve); }

  LineBuilder& Lit(std::string_view s) {
    out_ += s;
    return *this;
  }
  LineBuilder& Str(std::string_view s) {
    if (PlainAscii(s)) {
      const size_t at = out_.size();
      out_.append(s.size() + 2, '"');  // within the reserved capacity: no allocation
      std::memcpy(out_.data() + at + 1, s.data(), s.size());
      return *this;
    }
    rapidjson::StringBuffer sb;
    LineWriter w(sb);
    ledger::Str(w, s);
    out_.append(sb.GetString(), sb.GetSize());
    return *this;
  }
  template <typename Int>
  LineBuilder& Num(Int v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  // One pass the compiler vectorises: no early exit, an OR of "needs escaping" flags.
  static bool PlainAscii(std::string_view s) {
    unsigned char special = 0;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      special |= static_cast<unsigned char>((u < 0x20) | (u >= 0x80) | (u == '"') | (u == '\\'));
    }
    return special == 0;
  }

  std::string out_;
};

// The line up to "prev"'s value, what the chain adds, as LineBuilder writes it (a hash's hex
// is plain ASCII).
constexpr size_t kRecordHeadBytes = 128;
constexpr std::string_view kFormat1Prefix = R"({"type":"record",)";
constexpr std::string_view kFormat2Prefix = R"({"type":"record","format":2,)";
void AppendRecordHead(uint64_t seq, const Sha256& prev, std::string* out,
                      std::string_view prefix = kFormat1Prefix) {
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, seq);
  *out += prefix;
  *out += R"("seq":)";
  out->append(num, end);
  *out += R"(,"prev":")";
  *out += ToHex(prev);
  *out += '"';
}

// Closes a record line's members with its "hash" (the body ends with its own '}').
void AppendHashMember(const Sha256& hash, std::string* line) {
  line->pop_back();
  *line += kHashMember;
  *line += ToHex(hash);
  *line += "\"}";
}

// A format-2 line: a format-1 line's members with "format" after "type", and the hash given.
std::string RenderFormat2Line(const AuditRecord& r, uint64_t seq, const Sha256& prev,
                              const Sha256& hash) {
  std::string line;
  AppendRecordHead(seq, prev, &line, kFormat2Prefix);
  line += EncodeRecordTail(r, r.node, r.caller);
  AppendHashMember(hash, &line);
  return line;
}

std::string EncodeRecordBody(const AuditRecord& r, std::string_view node, std::string_view caller,
                             uint64_t seq, const Sha256& prev) {
  std::string body;
  AppendRecordHead(seq, prev, &body);
  body += EncodeRecordTail(r, node, caller);
  return body;
}

}  // namespace

std::string EncodeRecordTail(const AuditRecord& r, std::string_view node,
                             std::string_view caller) {
  // A typical tail, grown once at most.
  LineBuilder b(640);
  b.Lit(R"(,"time":)").Str(FormatRfc3339Micros(r.time_us));
  b.Lit(R"(,"request_id":)").Str(r.request_id);
  b.Lit(R"(,"node":)").Str(node);
  b.Lit(R"(,"key_id":)").Str(r.key_id);
  b.Lit(R"(,"caller":)").Str(caller);
  b.Lit(R"(,"caller_ip":)").Str(CallerIpModeName(r.caller_ip));
  b.Lit(R"(,"country":)").Str(r.country);
  b.Lit(R"(,"jurisdiction":)").Str(r.jurisdiction);
  b.Lit(R"(,"jurisdiction_source":)").Str(r.jurisdiction_source);
  b.Lit(R"(,"residency":)").Str(r.residency);
  b.Lit(R"(,"model":)").Str(r.model);
  b.Lit(R"(,"candidates":[)");
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const AuditCandidate& c = r.candidates[i];
    b.Lit(i == 0 ? R"({"deployment":)" : R"(,{"deployment":)").Str(c.deployment);
    b.Lit(R"(,"jurisdiction":)").Str(c.jurisdiction);
    b.Lit(R"(,"excluded":)").Str(c.excluded).Lit("}");
  }
  b.Lit(R"(],"attempts":[)");
  for (size_t i = 0; i < r.attempts.size(); ++i) {
    const AuditAttempt& a = r.attempts[i];
    b.Lit(i == 0 ? R"({"deployment":)" : R"(,{"deployment":)").Str(a.deployment);
    b.Lit(R"(,"jurisdiction":)").Str(a.jurisdiction);
    b.Lit(R"(,"outcome":)").Str(a.outcome);
    b.Lit(R"(,"status":)").Num(a.status);
    b.Lit(R"(,"latency_ms":)").Num(a.latency_ms).Lit("}");
  }
  b.Lit(R"(],"status":)").Num(r.status);
  b.Lit(R"(,"outcome":)").Str(r.outcome).Lit("}");
  return b.Take();
}

namespace {

// The parser is reused across lines of one thread; lines are bounded, so is its memory.
simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

Status Malformed(std::string_view what) {
  return InvalidArgument("malformed audit line: " + std::string(what));
}

Result<simdjson::dom::object> ParseObject(std::string_view line) {
  if (line.size() > kMaxAuditLineBytes) return Malformed("longer than 1 MiB");
  simdjson::padded_string padded(line);
  simdjson::dom::element doc;
  if (Parser().parse(padded).get(doc) != simdjson::SUCCESS) return Malformed("not JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return Malformed("not an object");
  return obj;
}

// Typed member reads; each false when the member is missing or of another type.
bool GetStr(simdjson::dom::object o, const char* key, std::string* out) {
  std::string_view v;
  if (o[key].get_string().get(v) != simdjson::SUCCESS) return false;
  out->assign(v);
  return true;
}
bool GetU64(simdjson::dom::object o, const char* key, uint64_t* out) {
  return o[key].get_uint64().get(*out) == simdjson::SUCCESS;
}
bool GetI64(simdjson::dom::object o, const char* key, int64_t* out) {
  return o[key].get_int64().get(*out) == simdjson::SUCCESS;
}
bool GetInt(simdjson::dom::object o, const char* key, int* out) {
  int64_t v;
  if (!GetI64(o, key, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}
bool GetHash(simdjson::dom::object o, const char* key, Sha256* out) {
  std::string hex;
  if (!GetStr(o, key, &hex)) return false;
  std::optional<Sha256> h = HashFromHex(hex);
  if (!h) return false;
  *out = *h;
  return true;
}
bool GetTime(simdjson::dom::object o, const char* key, int64_t* out) {
  std::string text;
  if (!GetStr(o, key, &text)) return false;
  Result<int64_t> t = ParseUtcTime(text);
  if (!t.ok()) return false;
  *out = *t;
  return true;
}

bool ReadCandidates(simdjson::dom::object o, std::vector<AuditCandidate>* out) {
  simdjson::dom::array arr;
  if (o["candidates"].get_array().get(arr) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element e : arr) {
    simdjson::dom::object c;
    if (e.get_object().get(c) != simdjson::SUCCESS) return false;
    AuditCandidate& cand = out->emplace_back();
    if (!GetStr(c, "deployment", &cand.deployment) ||
        !GetStr(c, "jurisdiction", &cand.jurisdiction) || !GetStr(c, "excluded", &cand.excluded)) {
      return false;
    }
  }
  return true;
}

bool ReadAttempts(simdjson::dom::object o, std::vector<AuditAttempt>* out) {
  simdjson::dom::array arr;
  if (o["attempts"].get_array().get(arr) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element e : arr) {
    simdjson::dom::object a;
    if (e.get_object().get(a) != simdjson::SUCCESS) return false;
    AuditAttempt& att = out->emplace_back();
    if (!GetStr(a, "deployment", &att.deployment) || !GetStr(a, "jurisdiction", &att.jurisdiction) ||
        !GetStr(a, "outcome", &att.outcome) || !GetInt(a, "status", &att.status) ||
        !GetI64(a, "latency_ms", &att.latency_ms)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string EncodeRecordLine(const AuditRecord& record, uint64_t seq, const Sha256& prev,
                             Sha256* hash) {
  return EncodeRecordLine(record, record.node, record.caller, seq, prev, hash);
}

std::string EncodeRecordLine(const AuditRecord& record, std::string_view node,
                             std::string_view caller, uint64_t seq, const Sha256& prev,
                             Sha256* hash) {
  return EncodeRecordLineFromTail(EncodeRecordTail(record, node, caller), seq, prev, hash);
}

std::string EncodeRecordLineFromTail(std::string_view tail, uint64_t seq, const Sha256& prev,
                                     Sha256* hash) {
  std::string line;
  line.reserve(kRecordHeadBytes + tail.size() + kHashSuffixBytes);
  AppendRecordHead(seq, prev, &line);
  line += tail;
  *hash = ChainHash(prev, line);
  AppendHashMember(*hash, &line);
  return line;
}

Result<RecordLine> DecodeRecordLine(std::string_view line) {
  if (line.starts_with(kFormat2Prefix) &&
      line.substr(kFormat2Prefix.size()).starts_with(R"("unreadable":)")) {
    return Malformed("the stored record does not decode");  // RecordLineOfStored's stand-in
  }
  if (line.size() < kHashSuffixBytes + 2 ||
      line.substr(line.size() - kHashSuffixBytes, kHashMember.size()) != kHashMember ||
      line.substr(line.size() - 2) != "\"}") {
    return Malformed("a record line ends with its \"hash\" member");
  }
  EDGE_ASSIGN_OR_RETURN(simdjson::dom::object o, ParseObject(line));
  RecordLine out;
  AuditRecord& r = out.record;
  std::string type, caller_ip;
  if (!GetStr(o, "type", &type) || type != "record") return Malformed("type is not \"record\"");
  if (!GetU64(o, "seq", &out.seq) || !GetHash(o, "prev", &out.prev) ||
      !GetTime(o, "time", &r.time_us) || !GetStr(o, "request_id", &r.request_id) ||
      !GetStr(o, "node", &r.node) || !GetStr(o, "key_id", &r.key_id) ||
      !GetStr(o, "caller", &r.caller) || !GetStr(o, "caller_ip", &caller_ip) ||
      !ParseCallerIpMode(caller_ip, &r.caller_ip) || !GetStr(o, "country", &r.country) ||
      !GetStr(o, "jurisdiction", &r.jurisdiction) ||
      !GetStr(o, "jurisdiction_source", &r.jurisdiction_source) ||
      !GetStr(o, "residency", &r.residency) || !GetStr(o, "model", &r.model) ||
      !ReadCandidates(o, &r.candidates) || !ReadAttempts(o, &r.attempts) ||
      !GetInt(o, "status", &r.status) || !GetStr(o, "outcome", &r.outcome) ||
      !GetHash(o, "hash", &out.hash)) {
    return Malformed("a record member is missing or has the wrong type");
  }
  if (line.starts_with(kFormat2Prefix)) {
    uint64_t format = 0;
    if (!GetU64(o, "format", &format) || format != 2 ||
        line != RenderFormat2Line(r, out.seq, out.prev, out.hash)) {
      return Malformed("record not in canonical form");
    }
    out.format = 2;
    out.canonical = RecordCanonicalBytes(EncodeRecordFields(r, r.node, r.caller), out.seq);
    out.hash_matches = ChainHash(out.prev, out.canonical) == out.hash;
    return out;
  }
  std::string body(line.substr(0, line.size() - kHashSuffixBytes));
  body += '}';
  if (body != EncodeRecordBody(r, r.node, r.caller, out.seq, out.prev)) {
    return Malformed("record not in canonical form");
  }
  out.format = 1;
  out.hash_matches = ChainHash(out.prev, body) == out.hash;
  out.canonical = std::move(body);
  return out;
}

std::string EncodeFormat2RecordLine(const AuditRecord& record, uint64_t seq, const Sha256& prev,
                                    Sha256* hash) {
  const Sha256 before = prev;  // `hash` may be `prev`
  EncodeStoredRecord(EncodeRecordFields(record, record.node, record.caller), seq, before, hash);
  return RenderFormat2Line(record, seq, before, *hash);
}

Result<RecordLine> DecodeStoredRecord(std::string_view value) {
  if (value.starts_with('{')) return DecodeRecordLine(value);
  std::optional<StoredRecord> stored = SplitStoredRecord(value);
  if (!stored) return Malformed("a stored record's framing is broken");
  RecordLine out;
  if (!DecodeRecordFields(stored->fields, &out.record) ||
      stored->canonical != RecordCanonicalBytes(stored->fields, stored->seq)) {
    return Malformed("a stored record does not decode");
  }
  out.format = 2;
  out.seq = stored->seq;
  out.prev = stored->prev;
  out.hash = stored->hash;
  out.canonical.assign(stored->canonical);
  out.hash_matches = ChainHash(out.prev, out.canonical) == out.hash;
  return out;
}

std::string RecordLineOfStored(std::string_view value) {
  if (value.starts_with('{')) return std::string(value);
  Result<RecordLine> r = DecodeStoredRecord(value);
  if (r.ok()) return RenderFormat2Line(r->record, r->seq, r->prev, r->hash);
  std::string line(kFormat2Prefix);
  line += R"("unreadable":")";
  line += ToHex(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  line += "\"}";
  return line;
}

std::optional<int64_t> StoredValueTime(std::string_view value) {
  return value.starts_with('{') ? RecordLineTime(value) : StoredRecordTime(value);
}

std::string EncodeDigestSignedBytes(const AuditDigest& d) {
  rapidjson::StringBuffer sb;
  LineWriter w(sb);
  w.StartObject();
  Key(w, "type"), w.String("digest");
  Key(w, "digest_seq"), w.Uint64(d.digest_seq);
  Key(w, "node"), Str(w, d.node);
  Key(w, "first_seq"), w.Uint64(d.first_seq);
  Key(w, "last_seq"), w.Uint64(d.last_seq);
  Key(w, "chain_head"), Str(w, ToHex(d.chain_head));
  Key(w, "prev_digest_hash"), Str(w, ToHex(d.prev_digest_hash));
  Key(w, "time"), Str(w, FormatRfc3339Micros(d.time_us));
  Key(w, "key_id"), Str(w, d.key_id);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string EncodeDigestLine(const AuditDigest& digest, std::string_view signature_der) {
  std::string line = EncodeDigestSignedBytes(digest);
  line.pop_back();
  line += kSignatureMember;
  line += ToHex(reinterpret_cast<const uint8_t*>(signature_der.data()), signature_der.size());
  line += "\"}";
  return line;
}

Result<DigestLine> DecodeDigestLine(std::string_view line) {
  // A JSON string cannot hold an unescaped quote, so the last `,"signature":"` is the member.
  size_t at = line.rfind(kSignatureMember);
  if (at == std::string_view::npos || line.size() < at + kSignatureMember.size() + 2 ||
      line.substr(line.size() - 2) != "\"}") {
    return Malformed("a digest line ends with its \"signature\" member");
  }
  EDGE_ASSIGN_OR_RETURN(simdjson::dom::object o, ParseObject(line));
  DigestLine out;
  AuditDigest& d = out.digest;
  std::string type, signature_hex;
  if (!GetStr(o, "type", &type) || type != "digest") return Malformed("type is not \"digest\"");
  if (!GetU64(o, "digest_seq", &d.digest_seq) || !GetStr(o, "node", &d.node) ||
      !GetU64(o, "first_seq", &d.first_seq) || !GetU64(o, "last_seq", &d.last_seq) ||
      !GetHash(o, "chain_head", &d.chain_head) ||
      !GetHash(o, "prev_digest_hash", &d.prev_digest_hash) || !GetTime(o, "time", &d.time_us) ||
      !GetStr(o, "key_id", &d.key_id) || !GetStr(o, "signature", &signature_hex)) {
    return Malformed("a digest member is missing or has the wrong type");
  }
  std::optional<std::string> der = BytesFromHex(signature_hex);
  if (!der || der->empty()) return Malformed("signature is not hex");
  out.signed_bytes.assign(line.substr(0, at));
  out.signed_bytes += '}';
  if (out.signed_bytes != EncodeDigestSignedBytes(d) ||
      line.size() != at + kSignatureMember.size() + signature_hex.size() + 2) {
    return Malformed("digest not in canonical form");
  }
  out.signature_der = std::move(*der);
  out.line_hash = Sha256Of(line);
  return out;
}

std::optional<int64_t> RecordLineTime(std::string_view line) {
  // The members before "time" are numbers and hex strings, so its first occurrence is it.
  constexpr std::string_view kTime = ",\"time\":\"";
  size_t at = line.find(kTime);
  if (at == std::string_view::npos) return std::nullopt;
  size_t start = at + kTime.size();
  size_t end = line.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  Result<int64_t> t = ParseUtcTime(line.substr(start, end - start));
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::optional<uint64_t> DigestLineLastSeq(std::string_view line) {
  // The members before "last_seq" that are strings hold no quote, so this is the member.
  constexpr std::string_view kLast = ",\"last_seq\":";
  size_t at = line.find(kLast);
  if (at == std::string_view::npos) return std::nullopt;
  uint64_t v = 0;
  size_t i = at + kLast.size(), digits = 0;
  for (; i < line.size() && line[i] >= '0' && line[i] <= '9' && digits < 20; ++i, ++digits) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(line[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  return v;
}

LineType TypeOfLine(std::string_view line) {
  if (line.starts_with("{\"type\":\"record\"")) return LineType::kRecord;
  if (line.starts_with("{\"type\":\"digest\"")) return LineType::kDigest;
  return LineType::kUnknown;
}

}  // namespace edge::ledger
