// The routing audit log from outside: `llm-edge keygen --node`, `llm-edge audit
// verify|export|residency` on a real node's data dir and on exports, and tampering with both.

#include <gtest/gtest.h>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

TEST(AuditCli, KeygenNodeWritesAndPrintsThePublicKeyAndNeverReplacesIt) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  Process first({BinaryPath(), "keygen", "--node", "--data-dir", data}, dir.path(), "keygen");
  ASSERT_EQ(first.Wait(10s), std::optional<int>(0)) << first.Stderr();
  const std::string pem = first.Stdout();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  EXPECT_TRUE(pem.ends_with("-----END PUBLIC KEY-----\n")) << pem;
  EXPECT_EQ(ReadFile(data + "/node_key.pub"), pem);
  EXPECT_NE(ReadFile(data + "/node_key.pem").find("PRIVATE KEY"), std::string::npos);

  Process again({BinaryPath(), "keygen", "--node", "--data-dir", data}, dir.path(), "keygen2");
  ASSERT_EQ(again.Wait(10s), std::optional<int>(0));
  EXPECT_EQ(again.Stdout(), pem);
  EXPECT_NE(again.Stderr().find("is kept"), std::string::npos) << again.Stderr();

  Process no_dir({BinaryPath(), "keygen", "--node"}, dir.path(), "keygen3");
  EXPECT_EQ(no_dir.Wait(10s), std::optional<int>(2));
}

TEST(AuditCli, UsageProblemsExitTwo) {
  TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"audit"},
           {"audit", "frobnicate"},
           {"audit", "verify"},
           {"audit", "verify", "--export", dir.path() + "/none.jsonl"},  // no --pubkey
           {"audit", "verify", "--data-dir", dir.path() + "/nothing-here"},
           {"audit", "export", "--data-dir", dir.path(), "--from", "yesterday"},
           {"audit", "residency", "--data-dir", dir.path(), "--export", "x"},
           {"audit", "verify", "--data-dir", dir.path(), "--witness", "http://127.0.0.1:1"},
       }) {
    args.insert(args.begin(), BinaryPath());
    Process p(args, dir.path(), "audit");
    EXPECT_EQ(p.Wait(10s), std::optional<int>(2)) << args[2] << p.Stderr();
  }
}

}  // namespace
}  // namespace edge::e2e
