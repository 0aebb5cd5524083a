#include "ledger/record.h"

#include "ledger/record_header.h"

namespace edge::ledger {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutInt(std::string* out, int64_t v) {
  PutVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void PutString(std::string* out, std::string_view s) {
  if (s.size() > kMaxRecordString) s = s.substr(0, kMaxRecordString);
  PutVarint(out, s.size());
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (b_.empty()) return false;
      uint8_t c = static_cast<uint8_t>(b_[0]);
      b_.remove_prefix(1);
      if (shift == 63 && c > 1) return false;  // beyond 64 bits
      r |= static_cast<uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) {
        // A final zero byte after the first is an overlong encoding: it would decode to the
        // same number as a shorter one, so stored bytes would have two spellings.
        if (c == 0 && shift > 0) return false;
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Int(int64_t* v) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Int32(int32_t* v) {
    int64_t w;
    if (!Int(&w) || w < INT32_MIN || w > INT32_MAX) return false;
    *v = static_cast<int32_t>(w);
    return true;
  }
  bool Bool(bool* v) {
    int64_t w;
    if (!Int(&w) || (w != 0 && w != 1)) return false;
    *v = w == 1;
    return true;
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > kMaxRecordString || n > b_.size()) return false;
    s->assign(b_.substr(0, n));
    b_.remove_prefix(n);
    return true;
  }
  bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

}  // namespace

std::string EncodeRecord(const Record& r) {
  std::string out;
  out.reserve(160 + r.request_id.size() + r.tags.size());
  PutRecordHeader(&out, r.wall_micros);
  for (const std::string* s : {&r.request_id, &r.key_id, &r.team, &r.feature, &r.env, &r.tags,
                               &r.model, &r.deployment, &r.provider, &r.endpoint_jurisdiction,
                               &r.region}) {
    PutString(&out, *s);
  }
  for (int64_t v : {r.input_tokens, r.output_tokens, r.cached_input_tokens, r.reasoning_tokens,
                    r.cost_micros, static_cast<int64_t>(r.estimated),
                    static_cast<int64_t>(r.priced), r.latency_us,
                    static_cast<int64_t>(r.status), static_cast<int64_t>(r.attempts)}) {
    PutInt(&out, v);
  }
  return out;
}

std::optional<Record> DecodeRecord(std::string_view bytes) {
  std::optional<int64_t> wall = RecordWallMicros(bytes);
  if (!wall) return std::nullopt;
  Record r;
  r.wall_micros = *wall;
  Reader in(bytes.substr(kRecordHeaderSize));
  for (std::string* s : {&r.request_id, &r.key_id, &r.team, &r.feature, &r.env, &r.tags, &r.model,
                         &r.deployment, &r.provider, &r.endpoint_jurisdiction, &r.region}) {
    if (!in.String(s)) return std::nullopt;
  }
  if (!in.Int(&r.input_tokens) || !in.Int(&r.output_tokens) || !in.Int(&r.cached_input_tokens) ||
      !in.Int(&r.reasoning_tokens) || !in.Int(&r.cost_micros) || !in.Bool(&r.estimated) ||
      !in.Bool(&r.priced) || !in.Int(&r.latency_us) || !in.Int32(&r.status) ||
      !in.Int32(&r.attempts) || !in.done()) {
    return std::nullopt;
  }
  return r;
}

}  // namespace edge::ledger
