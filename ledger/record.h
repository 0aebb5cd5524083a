#pragma once

// One finished request as the ledger keeps it (family "records", key = request id).
//
// Encoding: the 9-byte header of record_header.h (version, wall time), then every field in
// the order below: integers as zigzag varints, strings as a varint length and the bytes.
// DecodeRecord reads untrusted bytes (a damaged or edited store): it checks every length and
// refuses anything that is not exactly one record (tests/fuzz/ledger_record_fuzz.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edge::ledger {

struct Record {
  std::string request_id;
  int64_t wall_micros = 0;  // when the request finished, microseconds since the epoch (UTC)
  std::string key_id;
  std::string team, feature, env;
  std::string tags;  // free tags as sent: "k=v,k2=v2" (validated by the node)
  std::string model;       // the alias the client asked for ("" when refused before)
  std::string deployment;  // the deployment id that answered last ("" when none)
  std::string provider;    // openai, azure, anthropic, bedrock, gemini
  std::string endpoint_jurisdiction;
  std::string region;      // the node's region
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t reasoning_tokens = 0;
  int64_t cost_micros = 0;
  bool estimated = false;  // usage (and so cost) was estimated, not reported by the provider
  bool priced = true;      // false: the deployment has no known price; cost_micros is 0
  int64_t latency_us = 0;
  int32_t status = 0;      // the HTTP status the client got (0: the client went away first)
  int32_t attempts = 0;
  bool operator==(const Record&) const = default;
};

std::string EncodeRecord(const Record& r);
std::optional<Record> DecodeRecord(std::string_view bytes);

// Strings longer than this are refused by DecodeRecord (and cut by EncodeRecord): no field of a
// real record comes near it.
constexpr size_t kMaxRecordString = 4096;

}  // namespace edge::ledger
