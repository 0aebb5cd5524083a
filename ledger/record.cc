#include "ledger/record.h"

#include <cstring>
#include <iterator>

#include "ledger/record_header.h"

namespace edge::ledger {
namespace {

// EncodeRecord writes into a buffer sized for the worst case first, with no capacity check
// per byte as std::string::push_back makes: the worker encodes every request's record.
char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* PutInt(char* p, int64_t v) {
  return PutVarint(p, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

std::string_view Capped(std::string_view s) { return s.substr(0, kMaxRecordString); }

constexpr size_t kMaxVarintBytes = 10;

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
  const std::string* strings[] = {
      &r.request_id, &r.key_id, &r.team,       &r.feature,  &r.env,
      &r.tags,       &r.model,  &r.deployment, &r.provider, &r.endpoint_jurisdiction,
      &r.region};
  const int64_t ints[] = {r.input_tokens,
                          r.output_tokens,
                          r.cached_input_tokens,
                          r.reasoning_tokens,
                          r.cost_micros,
                          static_cast<int64_t>(r.estimated),
                          static_cast<int64_t>(r.priced),
                          r.latency_us,
                          static_cast<int64_t>(r.status),
                          static_cast<int64_t>(r.attempts)};
  std::string header;
  header.reserve(kRecordHeaderSize);
  PutRecordHeader(&header, r.wall_micros);
  size_t most = header.size() + std::size(ints) * kMaxVarintBytes;
  for (const std::string* s : strings) most += kMaxVarintBytes + Capped(*s).size();
  std::string out(most, '\0');
  char* p = out.data();
  std::memcpy(p, header.data(), header.size());
  p += header.size();
  for (const std::string* s : strings) {
    const std::string_view v = Capped(*s);
    p = PutVarint(p, v.size());
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
  for (int64_t v : ints) p = PutInt(p, v);
  out.resize(static_cast<size_t>(p - out.data()));
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
