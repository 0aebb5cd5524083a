#include "config/key_hash.h"

#include <gtest/gtest.h>

#include <set>

namespace edge::config {
namespace {

TEST(KeyHash, Sha256KnownVectors) {
  // FIPS 180-2 appendix B.1 and the empty message.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("sk-edge-demo-key"),
            "0ed816e5c3fc2154650b2b401c1e086524743e36e81dda2d9ffe82a8686cf57f");
}

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

TEST(KeyHash, GeneratedKeysHaveTheShapeAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string key = GenerateApiKey();
    ASSERT_EQ(key.size(), 48u) << key;
    ASSERT_EQ(key.substr(0, 8), "sk-edge-") << key;
    for (char c : key.substr(8)) ASSERT_TRUE(IsBase62(c)) << key;
    EXPECT_TRUE(seen.insert(key).second) << "repeated key " << key;
  }
}

TEST(KeyHash, BytesAboveTheUnbiasedRangeAreDropped) {
  // 0..61 map straight to the alphabet; 248..255 would bias it and are skipped.
  uint8_t next = 0;
  std::string key = GenerateApiKey([&next](uint8_t* buf, size_t n) {
    for (size_t i = 0; i < n; ++i) buf[i] = (i % 2 == 0) ? 255 : next++;
  });
  EXPECT_EQ(key, "sk-edge-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcd");
}

}  // namespace
}  // namespace edge::config
