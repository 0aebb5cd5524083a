#include "federation/frame.h"

#include <mbedtls/md.h>

#include <cassert>
#include <cstring>

namespace edge::federation {
namespace {

using Tag = std::array<uint8_t, kTagBytes>;

Tag Hmac(std::string_view key, std::span<const uint8_t> data) {
  Tag tag{};
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  int rc = mbedtls_md_hmac(info, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                           data.data(), data.size(), tag.data());
  assert(rc == 0 && "HMAC-SHA256 with a valid md info cannot fail");
  (void)rc;
  return tag;
}

// Compares in time independent of where the tags differ, so a forger learns nothing from timing.
bool TagsEqual(const uint8_t* a, const uint8_t* b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < kTagBytes; ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

uint32_t ReadLength(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

std::vector<uint8_t> SealFrame(std::span<const uint8_t> body, std::string_view key) {
  size_t rest = 1 + body.size() + kTagBytes;
  std::vector<uint8_t> frame(kLengthBytes + rest);
  frame[0] = static_cast<uint8_t>(rest >> 24);
  frame[1] = static_cast<uint8_t>(rest >> 16);
  frame[2] = static_cast<uint8_t>(rest >> 8);
  frame[3] = static_cast<uint8_t>(rest);
  frame[4] = kFrameVersion;
  if (!body.empty()) std::memcpy(frame.data() + 5, body.data(), body.size());
  size_t signed_bytes = frame.size() - kTagBytes;
  Tag tag = Hmac(key, std::span<const uint8_t>(frame.data(), signed_bytes));
  std::memcpy(frame.data() + signed_bytes, tag.data(), kTagBytes);
  return frame;
}

OpenedFrame OpenFrame(std::span<const uint8_t> frame, const std::vector<std::string>& keys,
                      size_t max_frame_bytes) {
  OpenedFrame out;
  if (frame.size() < kMinFrameBytes || frame.size() > max_frame_bytes ||
      ReadLength(frame.data()) != frame.size() - kLengthBytes) {
    out.reason = DropReason::kSize;
    return out;
  }
  if (frame[kLengthBytes] != kFrameVersion) {
    out.reason = DropReason::kVersion;
    return out;
  }
  size_t signed_bytes = frame.size() - kTagBytes;
  bool tag_ok = false;
  for (const std::string& key : keys) {  // every key is tried, so timing does not say which one
    Tag tag = Hmac(key, frame.first(signed_bytes));
    tag_ok |= TagsEqual(tag.data(), frame.data() + signed_bytes);
  }
  if (!tag_ok) {
    out.reason = DropReason::kTag;
    return out;
  }
  out.ok = true;
  out.body = frame.subspan(kLengthBytes + 1, signed_bytes - kLengthBytes - 1);
  return out;
}

Status FrameSplitter::Feed(std::span<const uint8_t> bytes, std::vector<std::vector<uint8_t>>& out) {
  if (failed_) return InvalidArgument("federation stream already failed");
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  size_t at = 0;
  while (buf_.size() - at >= kLengthBytes) {
    size_t total = kLengthBytes + size_t{ReadLength(buf_.data() + at)};
    if (total < kMinFrameBytes || total > max_frame_bytes_) {
      failed_ = true;
      buf_.clear();
      return InvalidArgument("federation frame of " + std::to_string(total) +
                             " bytes is outside [" + std::to_string(kMinFrameBytes) + ", " +
                             std::to_string(max_frame_bytes_) + "]");
    }
    if (buf_.size() - at < total) break;
    out.emplace_back(buf_.begin() + at, buf_.begin() + at + total);
    at += total;
  }
  buf_.erase(buf_.begin(), buf_.begin() + at);
  return Status::Ok();
}

}  // namespace edge::federation
