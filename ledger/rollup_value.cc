#include "ledger/rollup_value.h"

#include <limits>
#include <vector>

namespace edge::ledger {
namespace {

constexpr uint8_t kRollupVersion = 1;
constexpr size_t kRollupHeader = 2;
constexpr size_t kMaxFields = 64;  // bounds what a corrupt count can make us allocate

// Little-endian, into room the caller sized: a value is written per cell per ledger round and
// summed by every merge, where a push_back per byte cost ~700 instructions a value.
void PutInt64(char* p, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((u >> (8 * i)) & 0xff);
}

int64_t GetInt64(const char* p) {
  uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<uint8_t>(p[i]);
  return static_cast<int64_t>(u);
}

// The field count of an encoding, or -1 when it is not one.
int FieldCount(std::string_view b) {
  if (b.size() < kRollupHeader || static_cast<uint8_t>(b[0]) != kRollupVersion) return -1;
  size_t n = static_cast<uint8_t>(b[1]);
  if (n > kMaxFields || b.size() != kRollupHeader + 8 * n) return -1;
  return static_cast<int>(n);
}

}  // namespace

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return r;
}

std::array<int64_t, RollupValue::kFields> RollupValue::Fields() const {
  return {requests,          input_tokens,          output_tokens,
          cached_input_tokens, cost_micros,         estimated_requests,
          estimated_cost_micros, failed_requests,   unpriced_requests};
}

RollupValue RollupValue::FromFields(const std::array<int64_t, kFields>& f) {
  RollupValue v;
  v.requests = f[0];
  v.input_tokens = f[1];
  v.output_tokens = f[2];
  v.cached_input_tokens = f[3];
  v.cost_micros = f[4];
  v.estimated_requests = f[5];
  v.estimated_cost_micros = f[6];
  v.failed_requests = f[7];
  v.unpriced_requests = f[8];
  return v;
}

RollupValue& RollupValue::operator+=(const RollupValue& o) {
  auto a = Fields();
  auto b = o.Fields();
  for (size_t i = 0; i < kFields; ++i) a[i] = SaturatingAdd(a[i], b[i]);
  *this = FromFields(a);
  return *this;
}

std::string EncodeRollup(const RollupValue& v) {
  std::string out(kRollupHeader + 8 * RollupValue::kFields, '\0');
  out[0] = static_cast<char>(kRollupVersion);
  out[1] = static_cast<char>(RollupValue::kFields);
  char* p = out.data() + kRollupHeader;
  for (int64_t f : v.Fields()) {
    PutInt64(p, f);
    p += 8;
  }
  return out;
}

std::optional<RollupValue> DecodeRollup(std::string_view bytes) {
  int n = FieldCount(bytes);
  if (n < 0) return std::nullopt;
  std::array<int64_t, RollupValue::kFields> f{};
  for (size_t i = 0; i < f.size() && i < static_cast<size_t>(n); ++i) {
    f[i] = GetInt64(bytes.data() + kRollupHeader + 8 * i);
  }
  return RollupValue::FromFields(f);
}

bool SumEncodedRollups(std::string_view a, std::string_view b, std::string* out) {
  int na = FieldCount(a);
  int nb = FieldCount(b);
  if (na < 0 || nb < 0) return false;
  size_t n = static_cast<size_t>(std::max(na, nb));
  out->resize(kRollupHeader + 8 * n);
  char* p = out->data();
  p[0] = static_cast<char>(kRollupVersion);
  p[1] = static_cast<char>(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < static_cast<size_t>(na) ? GetInt64(a.data() + kRollupHeader + 8 * i) : 0;
    int64_t y = i < static_cast<size_t>(nb) ? GetInt64(b.data() + kRollupHeader + 8 * i) : 0;
    PutInt64(p + kRollupHeader + 8 * i, SaturatingAdd(x, y));
  }
  return true;
}

}  // namespace edge::ledger
