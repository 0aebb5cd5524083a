// The gossip frame decoder on arbitrary input: a peer (or anyone who can reach the port) must
// never crash, stall or corrupt a node. Input byte 0 picks the mode:
//   even: the rest is a raw TCP stream (mostly fails the size, version or tag check);
//   odd:  the rest is a list of bodies (u16 big-endian length, bytes), each sealed with the
//         receiver's key (bit 1 set: an unknown key), so that the msgpack decoder and the
//         protocol behind it are reached.
// The stream goes through a FrameSplitter in chunks of (byte0 >> 2) + 1 bytes into a Gossiper;
// its replies go to a second Gossiper and back (SYN -> ACK -> ACK2), as on a connection.
// Checks: the splitter cuts the same frames whatever the chunking; a refused frame changes
// nothing, names its reason and counts it once; a body that decodes re-encodes to a message
// that decodes equal; every reply is a well-formed frame that the peer accepts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "federation/codec.h"
#include "federation/federation.h"

namespace {

using namespace edge::federation;

void Check(bool ok) {
  if (!ok) std::abort();
}

GossipOptions Options(const std::string& id, int64_t generation) {
  GossipOptions o;
  o.id = id;
  o.region = "eu";
  o.jurisdiction = "EU";
  o.advertise = id + ":1";
  o.generation = generation;
  o.keys = {"k1", "k0"};
  o.round_byte_budget = 20 * 1024;
  o.max_frame_bytes = 64 * 1024;
  return o;
}

std::vector<std::vector<uint8_t>> Split(const std::vector<uint8_t>& stream, size_t chunk,
                                        bool* failed) {
  FrameSplitter splitter(64 * 1024);
  std::vector<std::vector<uint8_t>> frames;
  *failed = false;
  for (size_t at = 0; at < stream.size() && !*failed; at += chunk) {
    size_t n = std::min(chunk, stream.size() - at);
    *failed = !splitter.Feed(std::span<const uint8_t>(stream.data() + at, n), frames).ok();
  }
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::vector<uint8_t> stream;
  if (mode & 1) {
    size_t at = 1;
    while (at + 2 <= size) {
      size_t n = std::min<size_t>((size_t{data[at]} << 8) | data[at + 1], size - at - 2);
      std::span<const uint8_t> body(data + at + 2, n);
      std::vector<uint8_t> f = SealFrame(body, (mode & 2) ? "unknown" : "k0");
      stream.insert(stream.end(), f.begin(), f.end());
      at += 2 + n;
      // Each body that decodes survives a round trip through the encoder.
      Message m, again;
      if (DecodeMessage(body, m).ok) {
        Check(DecodeMessage(EncodeMessage(m), again).ok);
        Check(again == m);
      }
    }
  } else {
    stream.assign(data + 1, data + size);
  }

  bool failed_whole = false, failed_chunked = false;
  std::vector<std::vector<uint8_t>> whole = Split(stream, stream.size() + 1, &failed_whole);
  std::vector<std::vector<uint8_t>> frames = Split(stream, (mode >> 2) + 1, &failed_chunked);
  Check(whole == frames && failed_whole == failed_chunked);

  Gossiper node(Options("node", 1000)), peer(Options("peer", 2000));
  Check(node.SetUsage({"2026-12", "t", "f", "prod", "m"}, {1, 2, 3, 4, 5, 6}).ok());
  Check(node.SetChainHead(7, "abc").ok());
  Check(peer.SetDigest("{}").ok());
  node.Tick(1);
  int64_t now = 10;
  for (const std::vector<uint8_t>& f : frames) {
    std::vector<DigestEntry> before = node.Digest();
    FrameStats stats_before = node.stats();
    auto r = node.OnFrame(f, ++now);
    if (!r.ok()) {
      Check(node.Digest() == before);
      size_t reason = static_cast<size_t>(node.last_drop_reason());
      Check(node.stats().dropped[reason] == stats_before.dropped[reason] + 1);
      continue;
    }
    for (const std::vector<uint8_t>& reply : *r) {
      auto back = peer.OnFrame(reply, now);
      Check(back.ok());
      for (const std::vector<uint8_t>& b : *back) Check(node.OnFrame(b, now).ok());
    }
  }
  // Whatever came in, both views can still be read and the peers still converse.
  (void)node.Members(now);
  (void)node.Usage(now);
  auto syn = peer.OnFrame(node.BeginExchange(now), now);
  Check(syn.ok() && syn->size() == 1);
  return 0;
}
