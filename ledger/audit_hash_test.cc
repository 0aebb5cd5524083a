#include "ledger/audit_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace edge::ledger {
namespace {

// Known answers from FIPS 180-2 (appendix B) and Python's hashlib: the chain must hash
// exactly as any other SHA-256 implementation does, or an auditor's own tools disagree.
TEST(AuditHash, Sha256KnownAnswers) {
  EXPECT_EQ(ToHex(Sha256Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ToHex(Sha256Of(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(AuditHash, ChainHashIsSha256OfPrevThenBytes) {
  EXPECT_EQ(ToHex(ChainHash(kZeroHash, "abc")),
            "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370");
  Sha256 prev;
  for (size_t i = 0; i < prev.size(); ++i) prev[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(ToHex(ChainHash(prev, std::string(1000, 'x'))),
            "b837486fd79b80df6ff3fbc722260ed40d6bfb79850fe7579ac9e1d55bfad0aa");
  std::string joined(reinterpret_cast<const char*>(prev.data()), prev.size());
  joined += "line";
  EXPECT_EQ(ChainHash(prev, "line"), Sha256Of(joined));
}

// Each thread has its own hashing context: threads hashing at once get the same answers.
TEST(AuditHash, ThreadsHashIndependently) {
  const Sha256 want = Sha256Of(std::string(4096, 'q'));
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256Of(std::string(4096, 'q')) != want) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

TEST(AuditHash, HexHasOneSpelling) {
  const Sha256 h = Sha256Of("abc");
  EXPECT_EQ(HashFromHex(ToHex(h)), h);
  std::string upper = ToHex(h);
  upper[0] = 'B';
  EXPECT_EQ(HashFromHex(upper), std::nullopt);
  EXPECT_EQ(HashFromHex(ToHex(h).substr(1)), std::nullopt);
  EXPECT_EQ(BytesFromHex("0g"), std::nullopt);
  EXPECT_EQ(BytesFromHex("abc"), std::nullopt);
  EXPECT_EQ(BytesFromHex("00ff"), std::string("\x00\xff", 2));
}

}  // namespace
}  // namespace edge::ledger
