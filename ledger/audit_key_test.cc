#include "ledger/audit_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace edge::ledger {
namespace {

TEST(AuditKey, SignsAndVerifiesWithThePublicPem) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::string pub = (*key)->PublicPem();
  EXPECT_TRUE(pub.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pub;
  auto verifier = VerifyingKey::FromPem(pub);
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  EXPECT_EQ((*verifier)->key_id(), (*key)->key_id());
  EXPECT_EQ((*key)->key_id().size(), 64u);

  auto sig = (*key)->Sign("digest bytes");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE((*verifier)->Verify("digest bytes", *sig));
  EXPECT_FALSE((*verifier)->Verify("digest bytez", *sig));
  std::string bent = *sig;
  bent[bent.size() - 1] ^= 1;
  EXPECT_FALSE((*verifier)->Verify("digest bytes", bent));
  EXPECT_FALSE((*verifier)->Verify("digest bytes", ""));

  // Another key's signature does not verify.
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->key_id(), (*key)->key_id());
  EXPECT_FALSE((*verifier)->Verify("digest bytes", *(*other)->Sign("digest bytes")));
}

TEST(AuditKey, PrivatePemRoundTrips) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  auto again = SigningKey::FromPem((*key)->PrivatePem());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->key_id(), (*key)->key_id());
  auto verifier = VerifyingKey::FromPem((*key)->PublicPem());
  EXPECT_TRUE((*verifier)->Verify("x", *(*again)->Sign("x")));
}

TEST(AuditKey, RefusesWhatIsNotAP256Key) {
  EXPECT_FALSE(SigningKey::FromPem("").ok());
  EXPECT_FALSE(SigningKey::FromPem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(VerifyingKey::FromPem("garbage").ok());
  auto key = SigningKey::Generate();
  // A public key is not a private key.
  EXPECT_FALSE(SigningKey::FromPem((*key)->PublicPem()).ok());
}

TEST(AuditKey, NodeKeyIsCreatedOnceAndNeverReplaced) {
  std::string dir = ::testing::TempDir() + "/audit_key_test_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  bool created = false;
  auto first = LoadOrCreateNodeKey(dir + "/data", &created);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(created);
  struct stat st;
  ASSERT_EQ(::stat(NodeKeyPath(dir + "/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = ReadWholeFile(NodePublicKeyPath(dir + "/data"));
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, (*first)->PublicPem());

  auto second = LoadOrCreateNodeKey(dir + "/data", &created);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ((*second)->key_id(), (*first)->key_id());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edge::ledger
