#include "federation/frame.h"

#include <gtest/gtest.h>
#include <mbedtls/md.h>

namespace edge::federation {
namespace {

std::vector<uint8_t> Body(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

TEST(Frame, LayoutIsLengthVersionBodyTag) {
  std::vector<uint8_t> f = SealFrame(Body("\x92\x01\x02"), "key");
  ASSERT_EQ(f.size(), 4u + 1 + 3 + 32);
  EXPECT_EQ(f[0], 0);
  EXPECT_EQ(f[3], 1 + 3 + 32);
  EXPECT_EQ(f[4], kFrameVersion);
  // The tag is HMAC-SHA256 of everything before it, computed here independently.
  unsigned char want[32];
  const std::string key = "key";
  ASSERT_EQ(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                            reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                            f.data(), f.size() - 32, want),
            0);
  EXPECT_TRUE(std::equal(want, want + 32, f.end() - 32));
}

TEST(Frame, HmacMatchesRfc4231Case2) {
  // RFC 4231 test case 2 (key "Jefe"): checks the primitive the tag is built from.
  unsigned char out[32];
  const std::string key = "Jefe", msg = "what do ya want for nothing?";
  ASSERT_EQ(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                            reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                            reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out),
            0);
  EXPECT_EQ(out[0], 0x5b);
  EXPECT_EQ(out[31], 0x43);
}

TEST(Frame, OpensUnderAnyKeyOfTheKeyring) {
  std::vector<uint8_t> body = Body("\x90");
  std::vector<uint8_t> by_old = SealFrame(body, "old");
  std::vector<uint8_t> by_new = SealFrame(body, "new");
  const std::vector<std::string> rotating = {"new", "old"};
  for (const auto* f : {&by_old, &by_new}) {
    OpenedFrame o = OpenFrame(*f, rotating, 1 << 20);
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(std::vector<uint8_t>(o.body.begin(), o.body.end()), body);
  }
  OpenedFrame unknown = OpenFrame(by_old, {"new"}, 1 << 20);
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.reason, DropReason::kTag);
  EXPECT_EQ(OpenFrame(by_old, {"ol"}, 1 << 20).reason, DropReason::kTag);
  EXPECT_EQ(OpenFrame(by_old, {"old2"}, 1 << 20).reason, DropReason::kTag);
}

TEST(Frame, EveryTamperedByteIsRefused) {
  std::vector<uint8_t> f = SealFrame(Body("\x93\x01\xa1x\x90"), "k");
  for (size_t i = 0; i < f.size(); ++i) {
    std::vector<uint8_t> bad = f;
    bad[i] ^= 0x01;
    OpenedFrame o = OpenFrame(bad, {"k"}, 1 << 20);
    EXPECT_FALSE(o.ok) << i;
    DropReason want = i < 4 ? DropReason::kSize : i == 4 ? DropReason::kVersion : DropReason::kTag;
    EXPECT_EQ(o.reason, want) << i;
  }
}

TEST(Frame, SizesOutsideTheLimitsOrNotMatchingArePrefixErrors) {
  std::vector<uint8_t> f = SealFrame(Body("\x90"), "k");
  EXPECT_EQ(OpenFrame(f, {"k"}, f.size() - 1).reason, DropReason::kSize);  // over the limit
  EXPECT_TRUE(OpenFrame(f, {"k"}, f.size()).ok);
  std::vector<uint8_t> longer = f;
  longer.push_back(0);
  EXPECT_EQ(OpenFrame(longer, {"k"}, 1 << 20).reason, DropReason::kSize);
  std::vector<uint8_t> shorter(f.begin(), f.end() - 1);
  EXPECT_EQ(OpenFrame(shorter, {"k"}, 1 << 20).reason, DropReason::kSize);
  EXPECT_EQ(OpenFrame(std::vector<uint8_t>{}, {"k"}, 1 << 20).reason, DropReason::kSize);
  // An empty body is under the minimum even with a correct tag.
  std::vector<uint8_t> empty = SealFrame({}, "k");
  EXPECT_EQ(OpenFrame(empty, {"k"}, 1 << 20).reason, DropReason::kSize);
}

TEST(FrameSplitter, CutsTheSameFramesWhateverTheChunking) {
  std::vector<std::vector<uint8_t>> frames = {SealFrame(Body("\x90"), "k"),
                                              SealFrame(Body(std::string(300, 'x')), "k"),
                                              SealFrame(Body("\x91\x01"), "k")};
  std::vector<uint8_t> stream;
  for (const auto& f : frames) stream.insert(stream.end(), f.begin(), f.end());
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{37}, stream.size()}) {
    FrameSplitter splitter(1 << 20);
    std::vector<std::vector<uint8_t>> out;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      size_t n = std::min(chunk, stream.size() - at);
      ASSERT_TRUE(splitter.Feed(std::span<const uint8_t>(stream.data() + at, n), out).ok());
    }
    EXPECT_EQ(out, frames) << chunk;
    EXPECT_EQ(splitter.buffered(), 0u);
  }
}

TEST(FrameSplitter, AnOversizedOrUndersizedPrefixFailsForGood) {
  for (std::vector<uint8_t> prefix :
       {std::vector<uint8_t>{0x7f, 0xff, 0xff, 0xff}, std::vector<uint8_t>{0, 0, 0, 3}}) {
    FrameSplitter splitter(4096);
    std::vector<std::vector<uint8_t>> out;
    EXPECT_FALSE(splitter.Feed(prefix, out).ok());
    EXPECT_TRUE(splitter.failed());
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(splitter.buffered(), 0u) << "nothing kept of a failed stream";
    std::vector<uint8_t> good = SealFrame(Body("\x90"), "k");
    EXPECT_FALSE(splitter.Feed(good, out).ok()) << "the error sticks";
    EXPECT_TRUE(out.empty());
  }
  FrameSplitter splitter(64);
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> big = SealFrame(Body(std::string(100, 'x')), "k");
  EXPECT_FALSE(splitter.Feed(std::span<const uint8_t>(big.data(), 4), out).ok())
      << "refused on the prefix alone, before the body is buffered";
}

}  // namespace
}  // namespace edge::federation
