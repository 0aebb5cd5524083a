// What an operator watches: GET /metrics, read with a strict Prometheus parser, and the
// access log (log.access), after a known mix of real traffic through fake providers —
// successes, streams, and the errors 401, 404, 429 and 503 — in two jurisdictions. Each
// figure must equal what was sent; the log must never hold a key, a secret or a prompt;
// SIGUSR1 after a rename must move the log to a new file without losing or repeating a line.

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"
#include "tests/e2e/harness/prometheus.h"

namespace edge::e2e {
namespace {

constexpr char kUsKey[] = "sk-obs-us-caller-key";
constexpr char kBudgetKey[] = "sk-obs-budget-key";
// A key id with characters JSON and Prometheus must escape (quotes, a backslash, UTF-8).
constexpr char kBudgetKeyId[] = "thrifty \"\xc3\xbc\" \\ key";
// ... as a double-quoted YAML scalar.
constexpr char kBudgetKeyIdYaml[] = "\"thrifty \\\"\xc3\xbc\\\" \\\\ key\"";
constexpr char kUpstreamSecret[] = "sk-upstream-obs-secret-value";
constexpr char kGossipKey[] = "gossip-obs-secret-key-0123456789";
// Words no JSON field of a line could hold unless a prompt leaked into it.
constexpr char kPrompt[] = "violet heron whispers";
constexpr char kStreamPrompt[] = "amber lantern drifts";

std::string Deployment(const std::string& alias, const std::string& model, const std::string& base,
                       const std::string& jurisdiction) {
  return "  - model_name: " + alias +
         "\n"
         "    litellm_params:\n"
         "      model: openai/" +
         model +
         "\n"
         "      api_base: " +
         base +
         "\n"
         "      api_key: " +
         kUpstreamSecret +
         "\n"
         "    model_info: {jurisdiction: " +
         jurisdiction + ", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}\n";
}

// `federated`: gossip on (no peers), so that its series are in the exposition too.
std::string Config(uint16_t fake_port, const std::string& access, bool federated = false) {
  std::string base = "http://127.0.0.1:" + std::to_string(fake_port) + "/v1";
  return "node: {id: obs-node, region: eu-west, jurisdiction: EU, listen: \"127.0.0.1:0\",\n"
         "       admin_listen: \"127.0.0.1:0\", data_dir: ./data, workers: 2}\n"
         "log: {access: \"" +
         access + "\"}\n" +
         (federated
              ? std::string("federation: {listen: \"127.0.0.1:0\", key: ") + kGossipKey + "}\n"
              : std::string()) +
         "jurisdictions:\n"
         "  EU: {countries: [DE, FR], pinned: true}\n"
         "  US: {countries: [US], pinned: false}\n"
         "model_list:\n" +
         Deployment("chat", "gpt-4o-mini", base, "EU") +
         // Only in the US: an EU-pinned caller gets 503 for it.
         Deployment("chat-us", "gpt-4o-mini", base, "US") +
         "keys:\n"
         "  - {id: e2e, key_sha256: \"" +
         Sha256Hex(kTestKey) +
         "\", team: search, env: test}\n"
         "  - {id: us-caller, key_sha256: \"" +
         Sha256Hex(kUsKey) +
         "\", team: research, feature: triage, env: prod, residency: US}\n"
         "  - {id: " +
         std::string(kBudgetKeyIdYaml) + ", key_sha256: \"" + Sha256Hex(kBudgetKey) +
         "\", team: thrifty, budget_usd_monthly: 0.000001}\n"
         "admin:\n"
         "  key_sha256: \"" +
         Sha256Hex(kAdminKey) + "\"\n";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The lines of `text` up to its last newline: a line being written while a test reads is
// left for the next read.
std::vector<std::string> CompleteLines(std::string text) {
  size_t last = text.rfind('\n');
  text.erase(last == std::string::npos ? 0 : last + 1);
  return Lines(text);
}

std::map<std::string, std::string> Auth(const std::string& key) {
  return {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}};
}

// One request as sent and as the test expects to find it counted and logged.
struct Sent {
  std::string request_id;
  int status = 0;
  std::string key_id, team, feature, env, model, jurisdiction, source;
  bool routed = false;  // answered by the deployment
  int64_t input_tokens = 0, output_tokens = 0;
  std::map<std::string, std::string> tags;
};

class Observability : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fake_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(fake_->ok()) << fake_->process().Stderr();
    log_path_ = dir_->path() + "/access.log";
    node_ = new Node(*dir_, Config(fake_->port(), log_path_, /*federated=*/true));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
    chat_id_ = DeploymentId(*node_, 0);
    ASSERT_FALSE(chat_id_.empty());
    SendTraffic();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete fake_;
    delete dir_;
  }

  static void Send(const std::string& key, const std::string& body, Sent expect,
                   std::map<std::string, std::string> extra = {}) {
    auto headers = Auth(key);
    headers.insert(extra.begin(), extra.end());
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", headers, body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, expect.status) << r->body;
    expect.request_id = r->Header("x-edge-request-id");
    ASSERT_FALSE(expect.request_id.empty());
    sent_.push_back(expect);
  }

  static void SendTraffic() {
    // 3 answered in the EU (the node's jurisdiction for an unplaced loopback caller): the fake
    // counts 3 prompt words and answers 5 tokens: 3 * 1 + 5 * 2 = 13 micro-dollars each.
    for (int i = 0; i < 3; ++i) {
      Send(kTestKey, ChatBody("chat", false, false, kPrompt),
           {"", 200, "e2e", "search", "", "test", "chat", "EU", "node", true, 3, 5, {}});
    }
    // 2 streams of a US-resident key, with a feature header and free tags.
    for (int i = 0; i < 2; ++i) {
      Send(kUsKey, ChatBody("chat", true, true, kStreamPrompt),
           {"",
            200,
            "us-caller",
            "research",
            "search-box",
            "prod",
            "chat",
            "US",
            "key",
            true,
            3,
            5,
            {{"ticket", "t-42"}, {"tier", "gold"}}},
           {{"X-Edge-Feature", "search-box"}, {"X-Edge-Tags", "ticket=t-42,tier=gold"}});
    }
    // 404: a model the config does not have.
    Send(kTestKey, ChatBody("no-such-model", false, false, kPrompt),
         {"", 404, "e2e", "search", "", "test", "_unknown", "EU", "node", false, 0, 0, {}});
    // 401: a key the node does not know (refused before anything else is read).
    Send("sk-not-a-known-key", ChatBody("chat", false, false, kPrompt),
         {"", 401, "", "", "", "", "", "", "", false, 0, 0, {}});
    // 503: EU-pinned caller, only a US deployment.
    Send(kTestKey, ChatBody("chat-us", false, false, kPrompt),
         {"", 503, "e2e", "search", "", "test", "chat-us", "EU", "node", false, 0, 0, {}});
    // The budget of one micro-dollar: the crossing request is served, the next one is 429.
    Send(kBudgetKey, ChatBody("chat", false, false, kPrompt),
         {"", 200, kBudgetKeyId, "thrifty", "", "", "chat", "EU", "node", true, 3, 5, {}});
    Send(kBudgetKey, ChatBody("chat", false, false, kPrompt),
         {"", 429, kBudgetKeyId, "thrifty", "", "", "chat", "EU", "node", false, 0, 0, {}});
  }

  static PromExposition Scrape() {
    auto r = Request(node_->admin_port(), "GET", "/metrics",
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
    if (!r || r->status != 200) return PromExposition{"no answer from /metrics", {}};
    PromExposition e = ParsePrometheus(r->body);
    if (!e.ok()) e.error += "\n" + r->body;
    return e;
  }

  // Waits until every request sent has been counted (a request is counted in finalize,
  // which may run just after its answer reached the client).
  static PromExposition ScrapeAllCounted() {
    PromExposition e;
    for (int i = 0; i < 800; ++i) {
      e = Scrape();
      if (!e.ok() || e.Sum("llm_edge_responses_total") >= sent_.size()) return e;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return e;
  }

  // The access log's lines once it holds at least `n` of them.
  static std::vector<std::string> AwaitLines(const std::string& path, size_t n) {
    std::vector<std::string> lines;
    for (int i = 0; i < 800; ++i) {
      lines = CompleteLines(ReadFile(path));
      if (lines.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return lines;
  }

  static TempDir* dir_;
  static FakeOpenAI* fake_;
  static Node* node_;
  static std::string log_path_;
  static std::string chat_id_;
  static std::vector<Sent> sent_;
};
TempDir* Observability::dir_;
FakeOpenAI* Observability::fake_;
Node* Observability::node_;
std::string Observability::log_path_;
std::string Observability::chat_id_;
std::vector<Sent> Observability::sent_;

TEST_F(Observability, MetricsParseAndCountTheTrafficSent) {
  PromExposition m = ScrapeAllCounted();
  ASSERT_TRUE(m.ok()) << m.error;
  ASSERT_EQ(sent_.size(), 10u);
  EXPECT_EQ(m.Sum("llm_edge_responses_total"), 10);

  // By model, deployment, jurisdiction and status.
  auto responses = [&m](const std::string& model, const std::string& deployment,
                        const std::string& jurisdiction, const std::string& status) {
    return m.Sum("llm_edge_responses_total", {{"model", model},
                                              {"deployment", deployment},
                                              {"jurisdiction", jurisdiction},
                                              {"status", status}});
  };
  EXPECT_EQ(responses("chat", chat_id_, "EU", "200"), 4);
  EXPECT_EQ(responses("chat", chat_id_, "US", "200"), 2);
  EXPECT_EQ(responses("_unknown", "", "EU", "404"), 1);
  EXPECT_EQ(responses("", "", "none", "401"), 1);
  EXPECT_EQ(responses("chat-us", "", "EU", "503"), 1);
  EXPECT_EQ(responses("chat", "", "EU", "429"), 1);
  EXPECT_EQ(m.Count("llm_edge_responses_total"), 6u);

  // Tokens and cost by team / feature / env.
  auto tokens = [&m](const std::string& team, const std::string& type) {
    return m.Sum("llm_edge_tokens_total", {{"team", team}, {"type", type}});
  };
  EXPECT_EQ(tokens("search", "input"), 9);
  EXPECT_EQ(tokens("search", "output"), 15);
  EXPECT_EQ(m.Sum("llm_edge_tokens_total", {{"team", "research"},
                                            {"feature", "search-box"},
                                            {"env", "prod"},
                                            {"type", "input"},
                                            {"estimated", "false"}}),
            6);
  EXPECT_EQ(tokens("research", "output"), 10);
  EXPECT_EQ(tokens("thrifty", "input"), 3);
  EXPECT_EQ(m.Sum("llm_edge_cost_micro_usd_total", {{"team", "search"}, {"env", "test"}}), 39);
  EXPECT_EQ(m.Sum("llm_edge_cost_micro_usd_total", {{"team", "research"}}), 26);
  EXPECT_EQ(m.Sum("llm_edge_cost_micro_usd_total", {{"team", "thrifty"}}), 13);
  EXPECT_EQ(m.Sum("llm_edge_cost_micro_usd_total"), 78);
  EXPECT_EQ(m.Sum("llm_edge_requests_total", {{"team", "search"}, {"outcome", "ok"}}), 3);
  EXPECT_EQ(m.Sum("llm_edge_requests_total", {{"outcome", "rejected"}}), 2);  // 401, 404

  // Latency histograms: every request has a duration and an answer's head.
  EXPECT_EQ(m.Sum("llm_edge_request_duration_seconds_count"), 10);
  EXPECT_EQ(m.Sum("llm_edge_time_to_first_byte_seconds_count"), 10);
  EXPECT_EQ(m.Sum("llm_edge_overhead_seconds_count"), 10);
  EXPECT_EQ(m.Sum("llm_edge_request_duration_seconds_count", {{"model", "chat"}}), 7);
  EXPECT_GT(m.Sum("llm_edge_request_duration_seconds_sum", {{"model", "chat"}}), 0);
  EXPECT_EQ(m.families.at("llm_edge_overhead_seconds").type, "histogram");
  // Attempts: one per routed request, none for the refused ones.
  EXPECT_EQ(m.Sum("llm_edge_request_attempts_sum"), 6);
  EXPECT_EQ(m.Sum("llm_edge_request_attempts_bucket", {{"model", "chat"}, {"le", "0"}}), 1);
  EXPECT_EQ(
      m.Sum("llm_edge_upstream_attempts_total", {{"deployment", chat_id_}, {"outcome", "ok"}}), 6);
  EXPECT_EQ(m.Sum("llm_edge_fallbacks_total"), 0);
  EXPECT_EQ(m.Count("llm_edge_cooldowns_total"), 2u);
  EXPECT_EQ(m.Sum("llm_edge_deployment_state", {{"deployment", chat_id_}, {"state", "healthy"}}),
            1);
  EXPECT_EQ(m.Sum("llm_edge_deployment_state", {{"deployment", chat_id_}}), 1);

  // The ledger: every keyed request's record written (9: all but the 401).
  EXPECT_EQ(m.Sum("llm_edge_ledger_records_total"), 9);
  EXPECT_EQ(m.Sum("llm_edge_ledger_commit_seconds_count"), 9);
  EXPECT_EQ(m.Sum("llm_edge_ledger_pending_records"), 0);
  EXPECT_EQ(m.Sum("llm_edge_budget_spent_micro_usd", {{"kind", "key"}, {"name", kBudgetKeyId}}),
            13);
  EXPECT_EQ(m.Sum("llm_edge_budget_limit_micro_usd", {{"kind", "key"}, {"name", kBudgetKeyId}}), 1);

  // The gossip's series (no peers: no members, no frames received).
  EXPECT_EQ(m.families.at("llm_edge_gossip_members").type, "gauge");
  EXPECT_EQ(m.Sum("llm_edge_gossip_members"), 0);
  EXPECT_EQ(m.families.at("llm_edge_gossip_frames_total").type, "counter");

  EXPECT_EQ(m.Sum("llm_edge_metric_series_overflow_total"), 0);
  EXPECT_EQ(m.Sum("llm_edge_access_log_dropped_lines_total"), 0);
}

TEST_F(Observability, AccessLogHasOneLinePerRequestWithItsFields) {
  std::vector<std::string> lines = AwaitLines(log_path_, sent_.size());
  ASSERT_EQ(lines.size(), sent_.size()) << ReadFile(log_path_);
  std::map<std::string, const rapidjson::Value*> by_id;
  std::vector<rapidjson::Document> docs;
  docs.reserve(lines.size());
  for (const std::string& line : lines) {
    docs.push_back(ParseJson(line));
    ASSERT_FALSE(docs.back().HasParseError()) << line;
    ASSERT_TRUE(docs.back().IsObject()) << line;
    by_id[JsonString(docs.back(), "request_id")] = &docs.back();
  }
  ASSERT_EQ(by_id.size(), sent_.size());
  for (const Sent& s : sent_) {
    SCOPED_TRACE(s.request_id + " status " + std::to_string(s.status));
    ASSERT_EQ(by_id.count(s.request_id), 1u);
    const rapidjson::Value& v = *by_id[s.request_id];
    EXPECT_EQ(JsonInt(v, "status"), s.status);
    EXPECT_EQ(JsonString(v, "key_id"), s.key_id);
    EXPECT_EQ(JsonString(v, "team"), s.team);
    EXPECT_EQ(JsonString(v, "feature"), s.feature);
    EXPECT_EQ(JsonString(v, "env"), s.env);
    EXPECT_EQ(JsonString(v, "model"), s.model);
    EXPECT_EQ(JsonString(v, "jurisdiction"), s.jurisdiction);
    EXPECT_EQ(JsonString(v, "jurisdiction_source"), s.source);
    EXPECT_EQ(JsonString(v, "deployment"), s.routed ? chat_id_ : "");
    EXPECT_EQ(JsonInt(v, "attempts"), s.routed ? 1 : 0);
    EXPECT_EQ(JsonInt(v, "input_tokens"), s.input_tokens);
    EXPECT_EQ(JsonInt(v, "output_tokens"), s.output_tokens);
    const int64_t cost = s.input_tokens * 1 + s.output_tokens * 2;
    EXPECT_EQ(JsonInt(v, "cost_micro_usd"), cost);
    const rapidjson::Value* usd = JsonAt(v, "cost_usd");
    ASSERT_TRUE(usd != nullptr && usd->IsNumber());
    EXPECT_DOUBLE_EQ(usd->GetDouble(), static_cast<double>(cost) / 1e6);
    const rapidjson::Value* latency = JsonAt(v, "latency_ms");
    ASSERT_TRUE(latency != nullptr && latency->IsNumber());
    EXPECT_GT(latency->GetDouble(), 0);
    EXPECT_EQ(JsonString(v, "outcome"), s.status == 200                      ? "ok"
                                        : s.status == 401 || s.status == 404 ? "rejected"
                                                                             : "error");
    const rapidjson::Value* tags = JsonAt(v, "tags");
    ASSERT_TRUE(tags != nullptr && tags->IsObject());
    EXPECT_EQ(tags->MemberCount(), s.tags.size());
    for (const auto& [k, val] : s.tags) EXPECT_EQ(JsonString(*tags, k), val);
    // The time is RFC 3339 UTC with milliseconds.
    EXPECT_EQ(JsonString(v, "time").size(), 24u) << JsonString(v, "time");
  }
}

TEST_F(Observability, NoKeySecretOrPromptReachesTheLogs) {
  AwaitLines(log_path_, sent_.size());
  const std::string logs = ReadFile(log_path_) + node_->process().Stderr();
  ASSERT_FALSE(ReadFile(log_path_).empty());
  for (const std::string& secret :
       {std::string(kTestKey), std::string(kUsKey), std::string(kBudgetKey),
        std::string("sk-not-a-known-key"), std::string(kAdminKey), std::string(kUpstreamSecret),
        std::string(kGossipKey), Sha256Hex(kTestKey), Sha256Hex(kAdminKey), std::string(kPrompt),
        std::string(kStreamPrompt), std::string("violet"), std::string("lantern"),
        // The fake's answers: "model=gpt-4o-mini tok1 tok2 ...".
        std::string("tok1"), std::string("tok2 tok3")}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "the logs hold " << secret;
  }
}

// logrotate's way: rename the file, then SIGUSR1. The node goes on writing into the renamed
// file until it reopens, then into a new file at the configured path; across the two, each
// request's line is there exactly once.
TEST(ObservabilityRotation, SigusrOneReopensWithoutLosingOrRepeatingALine) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const std::string path = dir.path() + "/access.log";
  Node node(dir, Config(fake.port(), path));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();

  std::set<std::string> ids;
  std::atomic<bool> stop{false};
  std::mutex mu;
  // Two clients keep sending while the file is renamed and reopened.
  auto client = [&] {
    while (!stop) {
      auto r = Request(node.port(), "POST", "/v1/chat/completions", Auth(kTestKey),
                       ChatBody("chat", false));
      if (!r) continue;
      std::lock_guard lock(mu);
      ids.insert(r->Header("x-edge-request-id"));
    }
  };
  std::thread a(client), b(client);
  auto count = [&] {
    std::lock_guard lock(mu);
    return ids.size();
  };
  auto complete_lines = [](const std::string& file) { return CompleteLines(ReadFile(file)); };
  auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };
  // Some lines are in the file before it is renamed (lines the writer thread has not
  // written yet at the rename go to the new file, which is right too).
  bool before = wait_for([&] { return count() >= 20 && complete_lines(path).size() >= 10; });
  const std::string rotated = path + ".1";
  std::filesystem::rename(path, rotated);
  node.process().Signal(SIGUSR1);
  bool reopened = wait_for([&] { return std::filesystem::exists(path); });
  const size_t at_reopen = count();
  bool after = reopened && wait_for([&] { return count() >= at_reopen + 20; });
  stop = true;
  a.join();
  b.join();
  ASSERT_TRUE(before && reopened && after) << node.process().Stderr();

  std::multiset<std::string> logged;
  std::vector<std::string> old_lines;
  wait_for([&] {
    old_lines = complete_lines(rotated);
    return old_lines.size() + complete_lines(path).size() >= ids.size();
  });
  auto new_lines = complete_lines(path);
  for (const auto* lines : {&old_lines, &new_lines}) {
    for (const std::string& line : *lines) {
      rapidjson::Document d = ParseJson(line);
      ASSERT_FALSE(d.HasParseError()) << line;
      logged.insert(JsonString(d, "request_id"));
    }
  }
  EXPECT_FALSE(old_lines.empty());
  EXPECT_FALSE(new_lines.empty());
  EXPECT_EQ(logged.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(logged.begin(), logged.end()), ids);
  EXPECT_NE(node.process().Stderr().find("access log reopened"), std::string::npos);
}

// log.access: stderr puts the same lines among the node's own log lines, each whole.
TEST(ObservabilityStderr, LinesGoToStderrWhole) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, Config(fake.port(), "stderr"));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = Request(node.port(), "POST", "/v1/chat/completions", Auth(kTestKey),
                     ChatBody(i == 4 ? "no-such-model" : "chat", false));
    ASSERT_TRUE(r);
    ids.insert(r->Header("x-edge-request-id"));
  }
  std::set<std::string> logged;
  for (int i = 0; i < 800 && logged.size() < ids.size(); ++i) {
    logged.clear();
    for (const std::string& line : CompleteLines(node.process().Stderr())) {
      rapidjson::Document d = ParseJson(line);
      ASSERT_FALSE(d.HasParseError()) << line;  // no line is cut or interleaved
      if (JsonAt(d, "request_id") != nullptr && JsonAt(d, "latency_ms") != nullptr) {
        logged.insert(JsonString(d, "request_id"));
      }
    }
    if (logged.size() < ids.size()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(logged, ids);
}

// The default is off: no line for a request.
TEST(ObservabilityDefault, NoAccessLogUnlessConfigured) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  std::string cfg = Config(fake.port(), "off");
  cfg.erase(cfg.find("log: {"), cfg.find('\n', cfg.find("log: {")) - cfg.find("log: {") + 1);
  Node node(dir, cfg);
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  auto r =
      Request(node.port(), "POST", "/v1/chat/completions", Auth(kTestKey), ChatBody("chat", false));
  ASSERT_TRUE(r && r->status == 200);
  const std::string id = r->Header("x-edge-request-id");
  auto m = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(m && m->status == 200);
  EXPECT_EQ(m->body.find("llm_edge_access_log_lines_total"), std::string::npos);
  EXPECT_EQ(node.process().Stderr().find(id), std::string::npos);
}

}  // namespace
}  // namespace edge::e2e
