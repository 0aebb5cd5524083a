// The command line: check's error format, keygen's output, serve refusing a bad config.

#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

TEST(Cli, KeygenPrintsAKeyAndItsSha256) {
  TempDir dir;
  Process p({BinaryPath(), "keygen"}, dir.path(), "keygen");
  ASSERT_EQ(p.Wait(10s), std::optional<int>(0));
  std::smatch m;
  std::string out = p.Stdout();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("key: (\\S+)\nkey_sha256: ([0-9a-f]{64})\n"))) << out;
  EXPECT_EQ(Sha256Hex(m[1]), m[2]);
}

TEST(Cli, CheckNamesFileLineAndKeyAndExitsOne) {
  TempDir dir;
  std::string path = dir.Write("bad.yaml",
                               "node:\n"
                               "  id: x\n"
                               "  workers: -3\n"
                               "model_list:\n"
                               "  - model_name: chat\n"
                               "    litellm_params:\n"
                               "      model: nosuchprovider/foo\n");
  Process p({BinaryPath(), "check", "--config", path}, dir.path(), "check");
  ASSERT_EQ(p.Wait(10s), std::optional<int>(1));
  std::string out = p.Stdout() + p.Stderr();
  EXPECT_NE(out.find(path + ":3: node.workers: "), std::string::npos) << out;
  EXPECT_NE(out.find(path + ":7: model_list.0.litellm_params.model: "), std::string::npos) << out;
}

TEST(Cli, CheckAcceptsTheDemoConfig) {
  TempDir dir;
  Process p({BinaryPath(), "check", "--config", SourceDir() + "/config/regions/demo.yaml"},
            dir.path(), "check");
  EXPECT_EQ(p.Wait(10s), std::optional<int>(0)) << p.Stdout() << p.Stderr();
}

TEST(Cli, ServeRefusesAConfigThatFailsCheck) {
  TempDir dir;
  std::string path = dir.Write("bad.yaml", "node: {workers: many}\n");
  Process p({BinaryPath(), "serve", "--config", path}, dir.path(), "serve");
  auto code = p.Wait(10s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
}

}  // namespace
}  // namespace edge::e2e
