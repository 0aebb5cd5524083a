// The ledger store on a read-only file system (docs/ledger.md, "When the store fails"): a data
// dir that is read-only when the node starts (a read-only bind mount), and one that turns
// read-only under a running node (an ext4 image on a loop device, aborted with `mount -o
// remount,abort`, as ext4 does itself on I/O errors with errors=remount-ro: open files and
// all). In both, ledger.on_error: serve keeps answering unbilled and /readyz says so, refuse
// answers 503 and /readyz is 503; SIGTERM still exits 0 and the store verifies afterwards.
// Mounts need CAP_SYS_ADMIN (and loop devices, mkfs.ext4): where the sandbox forbids them the
// tests say so and skip.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

// Runs a system tool; true when it exits 0.
bool Run(const TempDir& dir, std::vector<std::string> argv, const std::string& name) {
  Process p(std::move(argv), dir.path(), name);
  return p.Wait(60s) == std::optional<int>(0);
}

// `path` made read-only by binding it onto itself and remounting the bind read-only.
class ReadOnlyBind {
 public:
  explicit ReadOnlyBind(const std::string& path) : path_(path) {
    if (mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) return;
    bound_ = true;
    ok_ = mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
  }
  ~ReadOnlyBind() {
    if (bound_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool bound_ = false, ok_ = false;
};

// A 64 MiB ext4 image mounted at `path` through a loop device.
class Ext4Disk {
 public:
  Ext4Disk(const TempDir& dir, const std::string& path) : dir_(dir), path_(path) {
    std::filesystem::create_directories(path);
    image_ = dir.path() + "/ext4.img";
    std::ofstream(image_).close();
    std::filesystem::resize_file(image_, 64 << 20);
    ok_ = Run(dir, {"/usr/sbin/mkfs.ext4", "-q", "-F", image_}, "mkfs") && Mount();
  }
  ~Ext4Disk() { Unmount(); }
  bool ok() const { return ok_; }
  // What ext4 does on an I/O error with errors=remount-ro: read-only at once, files open.
  bool Abort() { return Run(dir_, {"/usr/bin/mount", "-o", "remount,abort", path_}, "abort"); }
  bool Mount() {
    mounted_ = Run(dir_, {"/usr/bin/mount", "-o", "loop,errors=remount-ro", image_, path_}, "mount");
    return mounted_;
  }
  void Unmount() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);  // the loop device goes with it (autoclear)
    mounted_ = false;
  }

 private:
  const TempDir& dir_;
  std::string path_, image_;
  bool ok_ = false, mounted_ = false;
};

// One request ("Hello", max_tokens 5) costs 6 tokens at $0.001: $0.006.
std::string Config(const std::string& base, const std::string& on_error) {
  return "node:\n"
         "  id: read-only-node\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: ./disk\n"
         "  workers: 1\n"
         "model_list:\n"
         "  - model_name: chat\n"
         "    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" + base + "\", api_key: k}\n"
         "    model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}\n"
         "keys:\n"
         "  - {id: e2e, key_sha256: \"" + Sha256Hex(kTestKey) + "\"}\n"
         "  - {id: capped, key_sha256: \"" + Sha256Hex("sk-capped") + "\", budget_usd_monthly: 0.012}\n"
         "admin:\n"
         "  key_sha256: \"" + Sha256Hex(kAdminKey) + "\"\n"
         "ledger: {on_error: " + on_error + "}\n";
}

std::optional<Response> Chat(const Node& node, const std::string& key = kTestKey) {
  return Request(node.port(), "POST", "/v1/chat/completions",
                 {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}},
                 R"({"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"Hello"}]})",
                 10s);
}

std::optional<Response> Ready(const Node& node) {
  return Request(node.admin_port(), "GET", "/readyz");
}

std::string Metrics(const Node& node) {
  auto m = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  return m ? m->body : "";
}

// What docs/ledger.md promises while the store cannot be written, in either mode.
void ExpectFailingStoreBehaviour(Node& node, const std::string& on_error,
                                 const std::string& error_text) {
  if (on_error == "serve") {
    for (int i = 0; i < 3; ++i) {
      auto r = Chat(node);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200) << r->body;
    }
    auto ready = Ready(node);
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    EXPECT_NE(ready->body.find(R"("status":"ready","ledger":"failing")"), std::string::npos)
        << ready->body;
    EXPECT_NE(ready->body.find(error_text), std::string::npos) << ready->body;
    EXPECT_TRUE(node.process().WaitForLine("ledger record not written", true, 5s));
    std::string m = Metrics(node);
    EXPECT_NE(m.find("llm_edge_ledger_healthy 0"), std::string::npos) << m;
    EXPECT_EQ(m.find("llm_edge_ledger_unbilled_requests_total 0\n"), std::string::npos) << m;
  } else {
    auto r = Chat(node);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_NE(r->body.find("ledger_unavailable"), std::string::npos) << r->body;
    auto ready = Ready(node);
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503);
    EXPECT_NE(ready->body.find("ledger_unavailable"), std::string::npos) << ready->body;
    EXPECT_NE(ready->body.find(error_text), std::string::npos) << ready->body;
    std::string m = Metrics(node);
    EXPECT_EQ(m.find("llm_edge_ledger_refused_requests_total 0\n"), std::string::npos) << m;
  }
  EXPECT_TRUE(node.process().WaitForLine("ledger store failing", true, 5s));
}

void StopCleanly(Node& node) {
  node.process().Signal(SIGTERM);
  EXPECT_EQ(node.process().Wait(30s), std::optional<int>(0)) << node.process().Stderr();
}

// `audit verify` on the data dir: nothing the node wrote before the failure was damaged.
void ExpectVerifies(const TempDir& dir, const std::string& data) {
  Process p({BinaryPath(), "audit", "verify", "--data-dir", data}, dir.path(), "verify");
  EXPECT_EQ(p.Wait(60s), std::optional<int>(0)) << p.Stdout() << p.Stderr();
}

class LedgerReadOnly : public ::testing::TestWithParam<std::string> {};

// A node (re)started on a read-only data dir that holds its store: it opens the store
// read-only, so this month's spend still counts against budgets, and fails as on_error says.
TEST_P(LedgerReadOnly, DataDirReadOnlyAtStart) {
  const std::string on_error = GetParam();
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const std::string config = Config(fake.base_url() + "/v1", on_error);
  const std::string data = dir.path() + "/node/disk";
  std::filesystem::create_directories(data);
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    for (int i = 0; i < 2; ++i) {  // the capped key's budget is used up
      auto r = Chat(node, "sk-capped");
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    }
    StopCleanly(node);
  }
  {
    ReadOnlyBind ro(data);
    if (!ro.ok()) GTEST_SKIP() << "cannot bind-mount read-only here (needs CAP_SYS_ADMIN)";
    Node node(dir, config, "node", /*require_ready=*/on_error == "serve");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    ExpectFailingStoreBehaviour(node, on_error, "the file system is read-only");
    if (on_error == "serve") {
      auto capped = Chat(node, "sk-capped");  // the spend was read from the read-only store
      ASSERT_TRUE(capped);
      EXPECT_EQ(capped->status, 429) << capped->body;
    }
    StopCleanly(node);
  }
  ExpectVerifies(dir, data);
}

// A read-only data dir with no store yet: nothing to serve budgets from; the node says why.
TEST(LedgerReadOnlyStart, EmptyReadOnlyDataDirStopsTheStartNamingIt) {
  TempDir dir;
  const std::string data = dir.path() + "/node/disk";
  std::filesystem::create_directories(data);
  ReadOnlyBind ro(data);
  if (!ro.ok()) GTEST_SKIP() << "cannot bind-mount read-only here (needs CAP_SYS_ADMIN)";
  const std::string config = dir.Write("node.yaml", Config("http://127.0.0.1:9/v1", "serve"));
  Process p({BinaryPath(), "serve", "--config", config}, dir.path(), "serve", {},
            dir.path() + "/node");
  EXPECT_EQ(p.Wait(30s), std::optional<int>(1));
  EXPECT_NE(p.Stderr().find("is on a read-only file system and holds no ledger store"),
            std::string::npos)
      << p.Stderr();
}

// The file system turns read-only under the running node, its WAL open: ext4's own abort.
TEST_P(LedgerReadOnly, DataDirTurnsReadOnlyWhileRunning) {
  const std::string on_error = GetParam();
  TempDir dir;
  const std::string data = dir.path() + "/node/disk";
  auto disk = std::make_unique<Ext4Disk>(dir, data);
  if (!disk->ok()) {
    GTEST_SKIP() << "cannot mount an ext4 image on a loop device here (needs CAP_SYS_ADMIN, "
                    "/dev/loop-control and mkfs.ext4)";
  }
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  {
    Node node(dir, Config(fake.base_url() + "/v1", on_error), "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    for (int i = 0; i < 3; ++i) {
      auto r = Chat(node);
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    }
    ASSERT_TRUE(disk->Abort());
    if (on_error == "refuse") {
      // The request whose record fails first is cut off; from then on the node refuses.
      for (int i = 0; i < 5; ++i) {
        auto r = Chat(node);
        if (r && r->status == 503) break;
      }
    }
    // RocksDB's "Read-only file system", or the writer's own check of the mount flags.
    ExpectFailingStoreBehaviour(node, on_error, "ead-only");
    // RocksDB aborts the process closing a WAL whose append failed; the node must not.
    StopCleanly(node);
  }
  // What was written before the file system turned read-only is intact.
  disk->Unmount();
  ASSERT_TRUE(disk->Mount());
  ExpectVerifies(dir, data);
}

INSTANTIATE_TEST_SUITE_P(OnError, LedgerReadOnly, ::testing::Values("serve", "refuse"));

}  // namespace
}  // namespace edge::e2e
