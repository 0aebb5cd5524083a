// The ledger store failing under a running node: its data dir on a small tmpfs that fills up
// (docs/ledger.md, "When the store fails"). ledger.on_error: serve keeps answering unbilled
// and says so on /readyz; refuse answers 503 and /readyz is 503; both recover when space
// comes back, and no record is half written. Mounting a tmpfs needs CAP_SYS_ADMIN: where the
// test runs without it, it says so and skips.

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

class SmallDisk {
 public:
  explicit SmallDisk(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", 0, "size=64m") == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Writes a file until the file system is full.
  void Fill() {
    std::ofstream f(path_ + "/filler", std::ios::binary);
    std::string block(1 << 16, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  void Free() { std::filesystem::remove(path_ + "/filler"); }

 private:
  std::string path_;
  bool mounted_ = false;
};

std::string Config(const std::string& base, const std::string& on_error) {
  return "node:\n"
         "  id: failing-node\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: ./disk\n"
         "  workers: 1\n"
         "model_list:\n"
         "  - model_name: chat\n"
         "    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" + base + "\", api_key: k}\n"
         "keys:\n"
         "  - {id: e2e, key_sha256: \"" + Sha256Hex(kTestKey) + "\"}\n"
         "admin:\n"
         "  key_sha256: \"" + Sha256Hex(kAdminKey) + "\"\n"
         "ledger: {on_error: " + on_error + "}\n";
}

std::optional<Response> Chat(const Node& node) {
  return Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(),
                 R"({"model":"chat","messages":[{"role":"user","content":"Hello"}]})", 10s);
}

std::optional<Response> Ready(const Node& node) {
  return Request(node.admin_port(), "GET", "/readyz");
}

// Requests until one gets `status`, for at most `within` (the store notices a full disk at
// its next write; RocksDB checks for free space again every few seconds).
bool Until(const Node& node, int status, std::chrono::milliseconds within = 20s) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Chat(node);
    if (r && r->status == status) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(LedgerFailure, ServeKeepsAnsweringUnbilledAndSaysSoThenRecovers) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/node/disk");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, Config(fake.base_url() + "/v1", "serve"));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  ASSERT_TRUE(Until(node, 200));
  disk.Fill();
  // Every request is still answered; /readyz stays 200 and names the failure.
  bool failing = false;
  for (int i = 0; i < 200 && !failing; ++i) {
    auto r = Chat(node);
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    auto ready = Ready(node);
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    failing = ready->body.find(R"("ledger":"failing")") != std::string::npos;
  }
  ASSERT_TRUE(failing) << "the store never reported the full disk";
  EXPECT_TRUE(node.process().WaitForLine("ledger record not written", true, 5s));
  auto m = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("llm_edge_ledger_healthy 0"), std::string::npos);
  EXPECT_EQ(m->body.find("llm_edge_ledger_unbilled_requests_total 0\n"), std::string::npos);
  disk.Free();
  bool healthy = false;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!healthy && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(Until(node, 200));
    auto ready = Ready(node);
    healthy = ready && ready->body == R"({"status":"ready"})";
    if (!healthy) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(healthy) << "the store did not recover once space came back";
}

TEST(LedgerFailure, RefuseAnswers503AndLeavesThePoolThenRecovers) {
  TempDir dir;
  SmallDisk disk(dir.path() + "/node/disk");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, Config(fake.base_url() + "/v1", "refuse"));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  ASSERT_TRUE(Until(node, 200));
  disk.Fill();
  // The request whose record failed never gets a complete answer; then the node refuses.
  ASSERT_TRUE(Until(node, 503));
  disk.Fill();  // whatever RocksDB freed meanwhile (old OPTIONS files) is taken again
  auto r = Chat(node);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("ledger"), std::string::npos) << r->body;
  auto ready = Ready(node);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("ledger_unavailable"), std::string::npos) << ready->body;
  disk.Free();
  EXPECT_TRUE(Until(node, 200, 30s)) << "the node did not serve again once space came back";
  ready = Ready(node);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

}  // namespace
}  // namespace edge::e2e
