// The routing audit log from outside: `llm-edge keygen --node`, `llm-edge audit
// verify|export|residency` on a real node's data dir and on exports, and tampering with both.

#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

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

namespace edge::e2e {
namespace {

constexpr char kFreeKey[] = "sk-edge-free-key";

// Keys: eu-key is pinned to EU; free-key is not, and the node has no jurisdiction of its own,
// so loopback callers (not in any database) are not pinned either.
std::string AuditConfig(uint16_t eu_port, uint16_t us_port, const std::string& data_dir) {
  auto dep = [](const std::string& alias, const std::string& id, const std::string& model,
                uint16_t port, const std::string& jurisdiction) {
    return "  - model_name: " + alias + "\n"
           "    litellm_params:\n"
           "      model: openai/" + model + "\n"
           "      api_base: http://127.0.0.1:" + std::to_string(port) + "/v1\n"
           "      api_key: sk-upstream\n"
           "    model_info: {id: " + id + ", jurisdiction: " + jurisdiction + "}\n";
  };
  return "node:\n"
         "  id: audit-node\n"
         "  region: eu-west\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: " + data_dir + "\n"
         "  workers: 2\n"
         "model_list:\n" +
         dep("chat", "eu-primary", "gpt-4o-mini@529", eu_port, "EU") +
         dep("chat", "eu-secondary", "gpt-4o-mini", eu_port, "EU") +
         dep("chat", "us-primary", "gpt-4o-mini", us_port, "US") +
         dep("chat-eu-down", "eu-down-1", "gpt-4o-mini@503", eu_port, "EU") +
         dep("chat-eu-down", "us-up", "gpt-4o-mini", us_port, "US") +
         "router_settings: {routing_strategy: simple-shuffle, num_retries: 3, cooldown_time: 0}\n"
         "keys:\n"
         "  - {id: eu-key, key_sha256: \"" + Sha256Hex(kTestKey) + "\", residency: EU}\n"
         "  - {id: free-key, key_sha256: \"" + Sha256Hex(kFreeKey) + "\"}\n"
         "admin: {key_sha256: \"" + Sha256Hex(kAdminKey) + "\"}\n" +
         "audit: {caller_ip: truncate, digest_every: 5, digest_every_s: 1}\n";
}

std::map<std::string, std::string> Auth(const std::string& key) {
  return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
}

std::string ChatBody(const std::string& model, bool stream = false) {
  return "{\"model\":\"" + model + "\",\"stream\":" + (stream ? "true" : "false") +
         ",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
}

// Runs `llm-edge audit ARGS...`; returns {exit code, stdout + stderr}.
std::pair<int, std::string> Audit(const TempDir& dir, std::vector<std::string> args,
                                  const std::string& name = "audit") {
  args.insert(args.begin(), {BinaryPath(), "audit"});
  Process p(args, dir.path(), name);
  std::optional<int> code = p.Wait(60s);
  return {code.value_or(-1), p.Stdout() + p.Stderr()};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

class AuditNode : public ::testing::Test {
 protected:
  void SetUp() override {
    eu_ = std::make_unique<FakeOpenAI>(dir_);
    us_ = std::make_unique<FakeOpenAI>(dir_);
    ASSERT_TRUE(eu_->ok() && us_->ok());
    node_ = std::make_unique<Node>(dir_, AuditConfig(eu_->port(), us_->port(), data()));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  std::string data() const { return dir_.path() + "/data"; }

  TempDir dir_;
  std::unique_ptr<FakeOpenAI> eu_, us_;
  std::unique_ptr<Node> node_;
};

TEST_F(AuditNode, EveryRequestIsRecordedVerifiableAndResidencyAgreesWithTheFakes) {
  std::set<std::string> ids;
  int pinned_ok = 0, pinned_refused = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", Auth(kTestKey),
                     ChatBody("chat", i % 2 == 1));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    ids.insert(r->Header("x-edge-request-id"));
    pinned_ok += r->status == 200;
  }
  for (int i = 0; i < 3; ++i) {
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", Auth(kTestKey),
                     ChatBody("chat-eu-down"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    ids.insert(r->Header("x-edge-request-id"));
    pinned_refused += r->status == 503;
  }
  for (int i = 0; i < 4; ++i) {
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", Auth(kFreeKey),
                     ChatBody("chat"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    ids.insert(r->Header("x-edge-request-id"));
  }
  ASSERT_EQ(ids.size(), 15u);

  // Offline commands beside the running node.
  auto [vcode, vout] = Audit(dir_, {"verify", "--data-dir", data()});
  EXPECT_EQ(vcode, 0) << vout;
  EXPECT_NE(vout.find("OK: 15 records (1..15)"), std::string::npos) << vout;

  auto [ecode, export_text] = Audit(dir_, {"export", "--data-dir", data()}, "export");
  ASSERT_EQ(ecode, 0) << export_text;
  const std::string export_file = dir_.Write("audit.jsonl", export_text);
  const std::string pub = data() + "/node_key.pub";
  auto [xcode, xout] = Audit(dir_, {"verify", "--export", export_file, "--pubkey", pub});
  EXPECT_EQ(xcode, 0) << xout;
  // The hashes check without llm-edge too: docs/audit.md's encoding, in plain Python.
  Process reference({"/usr/bin/env", "python3", SourceDir() + "/tools/audit_hash_check.py",
                     export_file},
                    dir_.path(), "reference");
  EXPECT_EQ(reference.Wait(60s), std::optional<int>(0)) << reference.Stderr();
  EXPECT_EQ(reference.Stdout(), "15 records, 0 failed\n");

  // Every request is there once; what the records say went upstream is what the fakes saw.
  std::set<std::string> recorded;
  long eu_attempts = 0, us_attempts = 0;
  for (const std::string& line : Lines(export_text)) {
    rapidjson::Document d = ParseJson(line);
    ASSERT_FALSE(d.HasParseError()) << line;
    if (JsonString(d, "type") != "record") continue;
    EXPECT_TRUE(recorded.insert(JsonString(d, "request_id")).second);
    EXPECT_EQ(JsonString(d, "node"), "audit-node");
    EXPECT_EQ(JsonString(d, "caller"), "127.0.0.0/24");
    EXPECT_EQ(line.find("hello there"), std::string::npos);  // no content
    EXPECT_EQ(line.find(kTestKey), std::string::npos);       // no key
    const rapidjson::Value* attempts = JsonAt(d, "attempts");
    ASSERT_TRUE(attempts && attempts->IsArray()) << line;
    for (const auto& a : attempts->GetArray()) {
      std::string j = JsonString(a, "jurisdiction");
      (j == "US" ? us_attempts : eu_attempts)++;
    }
    if (JsonString(d, "key_id") == "eu-key") {
      EXPECT_EQ(JsonString(d, "residency"), "EU") << line;
      EXPECT_EQ(JsonString(d, "jurisdiction_source"), "key") << line;
    }
  }
  EXPECT_EQ(recorded, ids);
  EXPECT_EQ(eu_attempts, eu_->Stat("requests"));
  EXPECT_EQ(us_attempts, us_->Stat("requests"));

  auto [rcode, rout] = Audit(dir_, {"residency", "--data-dir", data()}, "residency");
  EXPECT_EQ(rcode, 0) << rout;
  EXPECT_EQ(rout, "EU pinned=11 served_in=" + std::to_string(pinned_ok) +
                      " refused=" + std::to_string(pinned_refused) + " violations=0\n");
  auto [r2code, r2out] = Audit(dir_, {"residency", "--export", export_file}, "residency2");
  EXPECT_EQ(r2code, 0);
  EXPECT_EQ(r2out, rout);
  auto [r3code, r3out] = Audit(dir_, {"residency", "--data-dir", data(), "--to", "2000-01-01"});
  EXPECT_EQ(r3code, 0);
  EXPECT_EQ(r3out, "");

  // The admin API serves the same lines.
  auto admin = Request(node_->admin_port(), "GET", "/admin/audit",
                       {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200);
  EXPECT_EQ(Lines(admin->body).size() >= 15, true);
  auto bad = Request(node_->admin_port(), "GET", "/admin/audit?from=yesterday",
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  // An edited export is refused and the record named.
  std::vector<std::string> lines = Lines(export_text);
  std::string edited;
  bool done = false;
  for (std::string line : lines) {
    if (!done && line.find("\"seq\":3,") != std::string::npos) {
      line.replace(line.find("\"status\":"), 9, "\"status\":1");
      done = true;
    }
    edited += line + "\n";
  }
  ASSERT_TRUE(done);
  const std::string edited_file = dir_.Write("edited.jsonl", edited);
  auto [tcode, tout] = Audit(dir_, {"verify", "--export", edited_file, "--pubkey", pub});
  EXPECT_EQ(tcode, 1) << tout;
  EXPECT_NE(tout.find("FAIL record: record 3 "), std::string::npos) << tout;
  Process edited_reference(
      {"/usr/bin/env", "python3", SourceDir() + "/tools/audit_hash_check.py", edited_file},
      dir_.path(), "edited-reference");
  EXPECT_EQ(edited_reference.Wait(60s), std::optional<int>(1));
  EXPECT_NE(edited_reference.Stderr().find("record 3 does not match its hash"), std::string::npos)
      << edited_reference.Stderr();
}

// A node killed with SIGKILL while clients stream and wait: every answer a client received in
// full has its record, the log verifies, and a restarted node continues the same chain.
TEST_F(AuditNode, SigkillUnderLoadLosesNoRecordOfAFinishedRequest) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> finished;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        auto r = Request(node_->port(), "POST", "/v1/chat/completions", Auth(kTestKey),
                         ChatBody("chat", (i + t) % 2 == 0), 10s);
        if (!r) continue;  // cut by the kill: not finished
        bool whole = r->status == 200 &&
                     (r->chunked ? r->body.find("[DONE]") != std::string::npos
                                 : r->body.find("\"usage\"") != std::string::npos);
        if (!whole) continue;
        std::lock_guard<std::mutex> lock(mu);
        finished.push_back(r->Header("x-edge-request-id"));
        cv.notify_all();
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return finished.size() >= 80; }));
  }
  node_->process().Signal(SIGKILL);
  node_->process().Wait(10s);
  stop = true;
  for (auto& c : clients) c.join();

  auto [vcode, vout] = Audit(dir_, {"verify", "--data-dir", data()});
  EXPECT_EQ(vcode, 0) << vout;
  auto [ecode, export_text] = Audit(dir_, {"export", "--data-dir", data()}, "export");
  ASSERT_EQ(ecode, 0) << export_text;
  std::set<std::string> recorded;
  for (const std::string& line : Lines(export_text)) {
    rapidjson::Document d = ParseJson(line);
    if (JsonString(d, "type") == "record") recorded.insert(JsonString(d, "request_id"));
  }
  for (const std::string& id : finished) EXPECT_TRUE(recorded.count(id)) << id;

  // Restarted on the same data dir: the chain goes on; a clean stop signs all of it.
  Node again(dir_, AuditConfig(eu_->port(), us_->port(), data()), "node2");
  ASSERT_TRUE(again.ok()) << again.process().Stderr();
  for (int i = 0; i < 3; ++i) {
    auto r = Request(again.port(), "POST", "/v1/chat/completions", Auth(kTestKey), ChatBody("chat"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  again.process().Signal(SIGTERM);
  ASSERT_EQ(again.process().Wait(30s), std::optional<int>(0)) << again.process().Stderr();
  auto [v2code, v2out] = Audit(dir_, {"verify", "--data-dir", data()}, "verify2");
  EXPECT_EQ(v2code, 0) << v2out;
  EXPECT_NE(v2out.find("every record signed"), std::string::npos) << v2out;
  EXPECT_NE(v2out.find("OK: " + std::to_string(recorded.size() + 3) + " records"),
            std::string::npos) << v2out;
}

}  // namespace
}  // namespace edge::e2e
