#pragma once

// msgpack encoding of messages (the one file of the module that includes msgpack-c, which
// throws: nothing thrown leaves codec.cc). Schema, all msgpack arrays, no maps:
//
//   message  SYN  [1, from, digest]
//            ACK  [2, from, deltas, requests]     requests has the digest's shape
//            ACK2 [3, from, deltas]
//   digest   [[origin, generation, max_version], ...]
//   deltas   [[origin, generation, [entry, ...]], ...]   entries in increasing version order
//   entry    [version, 1, counter]                                          heartbeat
//            [version, 2, id, region, jurisdiction, advertise, admin_url, generation]   meta
//            [version, 3, period, team, feature, env, model,
//                         requests, input_tokens, output_tokens, cached_tokens,
//                         cost_micro_usd, estimated_cost_micro_usd]          usage cell
//            [version, 4, month, subject, cost_micro_usd]                    budget cell
//            [version, 5, seq, hash_hex]                                     audit chain head
//            [version, 6, signed_digest_line]                                signed digest
//
// Integers are unsigned (generation too, at most INT64_MAX); strings are UTF-8 str, length
// limited (kMax*Bytes below). A field count or type other than these, a zero version, or
// versions not strictly increasing within a delta make the message invalid (kSchema).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "federation/message.h"

namespace edge::federation {

inline constexpr size_t kMaxNameBytes = 256;      // ids, regions, cell fields, addresses
inline constexpr size_t kMaxUrlBytes = 2048;      // admin_url
inline constexpr size_t kMaxDigestBytes = 16384;  // a signed digest line
// Elements per msgpack array: bounds what a hostile header can make msgpack-c allocate before
// the bytes behind it are read (16 bytes * this * nesting depth).
inline constexpr size_t kMaxArrayElements = 65536;

// One entry's msgpack bytes (kept beside the entry, so that sending is copying).
std::string EncodeEntry(const Entry& entry);

// A delta whose entries are already encoded (EncodeEntry), for building messages by copying.
struct EncodedDelta {
  std::string_view origin;
  int64_t generation = 0;
  std::vector<std::string_view> entries;
};
std::vector<uint8_t> EncodeMessage(MessageType type, std::string_view from,
                                   const std::vector<DigestEntry>& digest,
                                   const std::vector<EncodedDelta>& deltas);
std::vector<uint8_t> EncodeMessage(const Message& message);

// Parses a frame body. Never throws; on failure `reason` is kMsgpack or kSchema and `detail`
// says what was wrong (for a rate-limited log line).
struct DecodeStatus {
  bool ok = true;
  DropReason reason = DropReason::kSchema;
  std::string detail;
};
DecodeStatus DecodeMessage(std::span<const uint8_t> body, Message& out);

}  // namespace edge::federation
