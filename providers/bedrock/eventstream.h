#pragma once

// AWS event-stream framing (application/vnd.amazon.eventstream), decoded incrementally.
//
// A message on the wire:
//   total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (u32 BE, of the 8 bytes
//   before it) | headers | payload | message CRC32 (u32 BE, of every byte before it)
// A header: name length (u8) | name | type (u8) | value, where the value's size depends on
// the type (see HeaderType). All integers big-endian. CRC32 is zlib's (IEEE 802.3).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace edge::providers::bedrock {

enum class HeaderType : uint8_t {
  kBoolTrue = 0,   // no value bytes
  kBoolFalse = 1,  // no value bytes
  kByte = 2,       // 1 byte
  kShort = 3,      // 2 bytes
  kInt = 4,        // 4 bytes
  kLong = 5,       // 8 bytes
  kBytes = 6,      // u16 length + bytes
  kString = 7,     // u16 length + UTF-8 bytes
  kTimestamp = 8,  // 8 bytes, milliseconds since the epoch
  kUuid = 9,       // 16 bytes
};

struct EventHeader {
  std::string_view name;
  HeaderType type = HeaderType::kString;
  std::string_view bytes;  // the value of kBytes / kString / kUuid
  int64_t number = 0;      // the value of the integer and timestamp types; 1/0 for bools
};

// One decoded message; its views live only during the callback that receives it.
struct EventMessage {
  std::vector<EventHeader> headers;
  std::string_view payload;

  // The value of a string header (":event-type", ":message-type", ...), or "" when absent
  // or of another type.
  std::string_view StringHeader(std::string_view name) const;
};

// Not thread-safe; one per stream.
class EventStreamDecoder {
 public:
  // AWS's own limits: 16 MiB per message, 128 KiB of headers.
  static constexpr size_t kMaxMessageBytes = 16 << 20;
  static constexpr size_t kMaxHeaderBytes = 128 << 10;

  explicit EventStreamDecoder(size_t max_message_bytes = kMaxMessageBytes)
      : max_message_bytes_(max_message_bytes) {}

  // Feeds bytes; calls on_message for each complete message, in order. A non-ok Status
  // (a bad length or CRC, a malformed header, or one returned by on_message) stops the
  // decoder for good: every later Feed returns it again.
  Status Feed(std::string_view bytes, const std::function<Status(const EventMessage&)>& on_message);
  // Bytes of an unfinished message held back.
  size_t pending() const { return buffer_.size(); }
  const Status& status() const { return status_; }

 private:
  // Decodes messages from the front of `data`; returns the bytes consumed.
  size_t DecodeSome(std::string_view data,
                    const std::function<Status(const EventMessage&)>& on_message);
  // The whole message's length from its prelude, checked; 0 with status_ set when bad.
  size_t CheckPrelude(std::string_view prelude);

  size_t max_message_bytes_;
  std::string buffer_;
  EventMessage message_;  // reused: its headers vector keeps its capacity
  Status status_;
};

// Encodes one message with string headers (in the order given) and a payload, both CRCs
// set. Names longer than 255 bytes and values longer than 65535 are cut to fit the format.
// For tests and fuzz seeds; the node never sends event streams.
std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);

}  // namespace edge::providers::bedrock
