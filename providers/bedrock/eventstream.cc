#include "providers/bedrock/eventstream.h"

#include <zlib.h>

namespace edge::providers::bedrock {
namespace {

constexpr size_t kPreludeBytes = 12;  // total length, headers length, prelude CRC
constexpr size_t kCrcBytes = 4;

uint32_t ReadU32(std::string_view s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[at + 3])};
}

uint64_t ReadBigEndian(std::string_view s, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

void AppendU32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint32_t Crc32(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

Status Malformed(std::string what) {
  return Unavailable("malformed event stream from the provider: " + std::move(what));
}

// Reads one header at `*at` in `h` (the header block); advances *at.
Status ReadHeader(std::string_view h, size_t* at, EventHeader* out) {
  size_t p = *at;
  const size_t name_len = static_cast<uint8_t>(h[p++]);
  if (name_len == 0 || h.size() - p < name_len + 1) return Malformed("truncated header name");
  out->name = h.substr(p, name_len);
  p += name_len;
  out->type = static_cast<HeaderType>(static_cast<uint8_t>(h[p++]));
  out->bytes = {};
  out->number = 0;
  size_t fixed = 0;  // size of a fixed-size value
  switch (out->type) {
    case HeaderType::kBoolTrue:
      out->number = 1;
      break;
    case HeaderType::kBoolFalse:
      break;
    case HeaderType::kByte:
      fixed = 1;
      break;
    case HeaderType::kShort:
      fixed = 2;
      break;
    case HeaderType::kInt:
      fixed = 4;
      break;
    case HeaderType::kLong:
    case HeaderType::kTimestamp:
      fixed = 8;
      break;
    case HeaderType::kUuid:
      if (h.size() - p < 16) return Malformed("truncated header value");
      out->bytes = h.substr(p, 16);
      p += 16;
      break;
    case HeaderType::kBytes:
    case HeaderType::kString: {
      if (h.size() - p < 2) return Malformed("truncated header value");
      const size_t len = ReadBigEndian(h, p, 2);
      p += 2;
      if (h.size() - p < len) return Malformed("truncated header value");
      out->bytes = h.substr(p, len);
      p += len;
      break;
    }
    default:
      return Malformed("unknown header value type " + std::to_string(static_cast<int>(out->type)));
  }
  if (fixed) {
    if (h.size() - p < fixed) return Malformed("truncated header value");
    const uint64_t raw = ReadBigEndian(h, p, fixed);
    // Sign-extend: integers on the wire are two's complement of their width.
    const unsigned bits = static_cast<unsigned>(fixed * 8);
    out->number = bits == 64 ? static_cast<int64_t>(raw)
                             : static_cast<int64_t>(raw << (64 - bits)) >> (64 - bits);
    p += fixed;
  }
  *at = p;
  return Status::Ok();
}

Status ReadHeaders(std::string_view block, std::vector<EventHeader>* out) {
  out->clear();
  size_t at = 0;
  while (at < block.size()) {
    EventHeader header;
    EDGE_RETURN_IF_ERROR(ReadHeader(block, &at, &header));
    out->push_back(header);
  }
  return Status::Ok();
}

}  // namespace

std::string_view EventMessage::StringHeader(std::string_view name) const {
  for (const EventHeader& h : headers) {
    if (h.name == name && h.type == HeaderType::kString) return h.bytes;
  }
  return {};
}

size_t EventStreamDecoder::CheckPrelude(std::string_view prelude) {
  const uint32_t total = ReadU32(prelude, 0);
  const uint32_t headers = ReadU32(prelude, 4);
  if (Crc32(prelude.substr(0, 8)) != ReadU32(prelude, 8)) {
    status_ = Malformed("prelude CRC mismatch");
  } else if (total < kPreludeBytes + kCrcBytes || total > max_message_bytes_) {
    status_ = Malformed("message length " + std::to_string(total) + " out of range");
  } else if (headers > total - kPreludeBytes - kCrcBytes || headers > kMaxHeaderBytes) {
    status_ = Malformed("headers length " + std::to_string(headers) + " out of range");
  } else {
    return total;
  }
  return 0;
}

size_t EventStreamDecoder::DecodeSome(
    std::string_view data, const std::function<Status(const EventMessage&)>& on_message) {
  size_t pos = 0;
  while (data.size() - pos >= kPreludeBytes) {
    const size_t total = CheckPrelude(data.substr(pos, kPreludeBytes));
    if (total == 0) return pos;
    if (data.size() - pos < total) break;
    const std::string_view msg = data.substr(pos, total);
    if (Crc32(msg.substr(0, total - kCrcBytes)) != ReadU32(msg, total - kCrcBytes)) {
      status_ = Malformed("message CRC mismatch");
      return pos;
    }
    const size_t headers_len = ReadU32(msg, 4);
    status_ = ReadHeaders(msg.substr(kPreludeBytes, headers_len), &message_.headers);
    if (!status_.ok()) return pos;
    message_.payload =
        msg.substr(kPreludeBytes + headers_len, total - kPreludeBytes - headers_len - kCrcBytes);
    pos += total;
    status_ = on_message(message_);
    if (!status_.ok()) return pos;
  }
  return pos;
}

Status EventStreamDecoder::Feed(std::string_view bytes,
                                const std::function<Status(const EventMessage&)>& on_message) {
  if (!status_.ok()) return status_;
  if (buffer_.empty()) {
    // The common case: whole messages inside one read are decoded in place.
    const size_t used = DecodeSome(bytes, on_message);
    if (status_.ok()) buffer_.assign(bytes.substr(used));
    return status_;
  }
  buffer_.append(bytes);
  const size_t used = DecodeSome(buffer_, on_message);
  buffer_.erase(0, used);
  if (!status_.ok()) buffer_.clear();
  return status_;
}

std::string EncodeEventMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload) {
  std::string block;
  for (const auto& [full_name, full_value] : headers) {
    const std::string_view name = std::string_view(full_name).substr(0, 255);
    const std::string_view value = std::string_view(full_value).substr(0, 65535);
    block.push_back(static_cast<char>(name.size()));
    block.append(name);
    block.push_back(static_cast<char>(HeaderType::kString));
    block.push_back(static_cast<char>(value.size() >> 8));
    block.push_back(static_cast<char>(value.size()));
    block.append(value);
  }
  std::string out;
  AppendU32(static_cast<uint32_t>(kPreludeBytes + block.size() + payload.size() + kCrcBytes), &out);
  AppendU32(static_cast<uint32_t>(block.size()), &out);
  AppendU32(Crc32(out), &out);
  out.append(block).append(payload);
  AppendU32(Crc32(out), &out);
  return out;
}

}  // namespace edge::providers::bedrock
