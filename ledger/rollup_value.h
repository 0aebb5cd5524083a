#pragma once

// The counters of one roll-up cell (a period x team x feature x env x model x deployment, or
// a period x free tag), as stored in the "rollups" family. Every write adds a delta with a
// RocksDB merge operand (rollup_merge.cc), so recording a request is one write and never a
// read-modify-write; reads see the sum.
//
// Encoding: 1 byte version (1), 1 byte field count N, then N little-endian int64. A newer
// node may append fields: older readers sum the fields they know and keep the rest.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::ledger {

struct RollupValue {
  int64_t requests = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t cost_micros = 0;
  int64_t estimated_requests = 0;     // billed on estimated usage
  int64_t estimated_cost_micros = 0;  // the part of cost_micros that was estimated
  int64_t failed_requests = 0;        // ended in an error status
  int64_t unpriced_requests = 0;      // the deployment had no known price

  static constexpr size_t kFields = 9;
  std::array<int64_t, kFields> Fields() const;
  static RollupValue FromFields(const std::array<int64_t, kFields>& f);

  // Field-wise sum, saturating at the int64 limits (a corrupt operand cannot wrap a total).
  RollupValue& operator+=(const RollupValue& o);
  bool operator==(const RollupValue&) const = default;
};

std::string EncodeRollup(const RollupValue& v);
// Nullopt when `bytes` is not an encoding (wrong version, count or length).
std::optional<RollupValue> DecodeRollup(std::string_view bytes);
// Sums two encodings of possibly different field counts into `out` (the longer count wins;
// unknown fields are summed too). False when either is malformed.
bool SumEncodedRollups(std::string_view a, std::string_view b, std::string* out);

int64_t SaturatingAdd(int64_t a, int64_t b);

}  // namespace edge::ledger
