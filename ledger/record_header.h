#pragma once

// The fixed start of every value in the "records" family: 1 byte format version, then the
// request's wall time in microseconds since the epoch as a little-endian int64. The
// retention filter reads only this, so it never depends on the rest of the format.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::ledger {

constexpr uint8_t kRecordVersion = 1;
constexpr size_t kRecordHeaderSize = 9;

inline void PutRecordHeader(std::string* out, int64_t wall_micros) {
  out->push_back(static_cast<char>(kRecordVersion));
  uint64_t u = static_cast<uint64_t>(wall_micros);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

// The record's wall time, or nullopt when `value` does not start with a known header.
inline std::optional<int64_t> RecordWallMicros(std::string_view value) {
  if (value.size() < kRecordHeaderSize || static_cast<uint8_t>(value[0]) != kRecordVersion) {
    return std::nullopt;
  }
  uint64_t u = 0;
  for (int i = 8; i >= 1; --i) u = (u << 8) | static_cast<uint8_t>(value[i]);
  return static_cast<int64_t>(u);
}

}  // namespace edge::ledger
