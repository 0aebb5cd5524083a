#pragma once

// Frames on the gossip TCP stream. Layout (all frames, both directions):
//
//   u32 big-endian L   number of bytes that follow
//   u8  version        kFrameVersion
//   ... body           one msgpack value (the message), L - 1 - 32 bytes
//   32  tag            HMAC-SHA256 under a keyring key of every byte before it (L, version, body)
//
// A frame is signed with the first key of the keyring and accepted under any of them, so keys
// rotate by adding the new key second, then moving it first, then dropping the old one.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "federation/types.h"

namespace edge::federation {

inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kLengthBytes = 4;
inline constexpr size_t kTagBytes = 32;
// Prefix, version, a one-byte msgpack body and the tag.
inline constexpr size_t kMinFrameBytes = kLengthBytes + 1 + 1 + kTagBytes;

// A whole frame around `body`, tagged under `key`.
std::vector<uint8_t> SealFrame(std::span<const uint8_t> body, std::string_view key);

// The body of a whole frame (prefix included) when its size, version and tag check out under
// one of `keys`; otherwise the reason it must be dropped. The span points into `frame`.
struct OpenedFrame {
  bool ok = false;
  DropReason reason = DropReason::kSize;
  std::span<const uint8_t> body;
};
OpenedFrame OpenFrame(std::span<const uint8_t> frame, const std::vector<std::string>& keys,
                      size_t max_frame_bytes);

// Cuts a TCP byte stream into whole frames (prefix included) without looking inside them.
// A length prefix announcing a frame over max_frame_bytes or under kMinFrameBytes is an
// error that sticks: the caller closes the connection. Buffers at most one frame.
class FrameSplitter {
 public:
  explicit FrameSplitter(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Appends to `out` every frame completed by `bytes`.
  Status Feed(std::span<const uint8_t> bytes, std::vector<std::vector<uint8_t>>& out);
  size_t buffered() const { return buf_.size(); }
  bool failed() const { return failed_; }

 private:
  size_t max_frame_bytes_;
  std::vector<uint8_t> buf_;
  bool failed_ = false;
};

}  // namespace edge::federation
