// HTTPS upstreams: verification with a per-deployment CA, IP and DNS names, and a failure
// that names its cause.

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

TEST(UpstreamTls, VerifiesTheProviderCertificate) {
  TempDir dir;
  std::string certs = dir.path() + "/certs";
  ASSERT_EQ(std::system(("bash " + SourceDir() + "/tests/certs/make_test_certs.sh " + certs +
                         " >/dev/null 2>&1").c_str()), 0);
  FakeOpenAI fake(dir, {"--cert", certs + "/server.crt", "--key", certs + "/server.key"});
  ASSERT_TRUE(fake.ok()) << fake.process().Stderr();
  std::string port = std::to_string(fake.port());
  std::string ca = "      ssl_verify: " + certs + "/ca.crt\n";
  std::string models =
      OpenAiDeployment("by-ip", "gpt-4o-mini", "https://127.0.0.1:" + port + "/v1", ca) +
      OpenAiDeployment("by-name", "gpt-4o-mini", "https://localhost:" + port + "/v1", ca) +
      OpenAiDeployment("system-ca", "gpt-4o-mini", "https://127.0.0.1:" + port + "/v1") +
      OpenAiDeployment("embed", "text-embedding-3-small", "https://127.0.0.1:" + port + "/v1", ca);
  Node node(dir, TestConfig(models));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();

  for (const char* alias : {"by-ip", "by-name"}) {
    auto r = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody(alias, false));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << alias << ": " << r->body;
    auto s = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody(alias, true));
    ASSERT_TRUE(s);
    EXPECT_EQ(SseData(s->body).back(), "[DONE]") << alias;
  }
  // The test CA is not in the system bundle: refused, and the message says why.
  auto r = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("system-ca", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502) << r->body;
  EXPECT_NE(r->body.find("certificate"), std::string::npos) << r->body;
}

TEST(UpstreamTls, CertificateForAnotherNameIsRefused) {
  TempDir dir;
  std::string certs = dir.path() + "/certs";
  ASSERT_EQ(std::system(("bash " + SourceDir() + "/tests/certs/make_test_certs.sh " + certs +
                         " >/dev/null 2>&1").c_str()), 0);
  FakeOpenAI fake(dir, {"--cert", certs + "/wrong-name.crt", "--key", certs + "/wrong-name.key"});
  ASSERT_TRUE(fake.ok()) << fake.process().Stderr();
  std::string ca = "      ssl_verify: " + certs + "/ca.crt\n";
  std::string base = "https://127.0.0.1:" + std::to_string(fake.port()) + "/v1";
  Node node(dir, TestConfig(OpenAiDeployment("chat", "gpt-4o-mini", base, ca) +
                            OpenAiDeployment("embed", "text-embedding-3-small", base, ca)));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  auto r = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502) << r->body;
}

}  // namespace
}  // namespace edge::e2e
