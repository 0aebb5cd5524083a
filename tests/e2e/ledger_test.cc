// The ledger end to end: what a node records and answers on /admin/spend and `llm-edge
// spend`, and the durability contract: a node killed with SIGKILL under load loses no record
// of a request whose answer the client received in full, and counts none twice.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "ledger/audit_binary.h"
#include "ledger/journal_entry.h"
#include "ledger/journal_replay.h"
#include "ledger/journal_ring.h"
#include "ledger/record.h"
#include "ledger/recorder.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "ledger/store.h"
#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

// $1 per 1M input tokens, $2 per 1M output tokens: the fake's answers are easy to price.
std::string PricedDeployment(const std::string& alias, const std::string& model,
                             const std::string& base) {
  return "  - model_name: " + alias + "\n"
         "    litellm_params:\n"
         "      model: openai/" + model + "\n"
         "      api_base: " + base + "\n"
         "      api_key: sk-upstream\n"
         "    model_info: {jurisdiction: EU, input_cost_per_token: 0.000001, "
         "output_cost_per_token: 0.000002}\n";
}

std::string Chat(const std::string& model, bool stream) {
  return R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"Hello"}]})";
}

std::map<std::string, std::string> Headers(std::map<std::string, std::string> extra = {}) {
  auto h = AuthHeaders();
  for (auto& [k, v] : extra) h[k] = v;
  return h;
}

std::optional<Response> Spend(const Node& node, const std::string& query) {
  return Request(node.admin_port(), "GET", "/admin/spend" + query,
                 {{"Authorization", std::string("Bearer ") + kAdminKey}});
}

// The value of `"name":N` in a JSON text after `after` (enough for the flat rows here).
long long Field(const std::string& json, const std::string& name, size_t after = 0) {
  size_t at = json.find("\"" + name + "\":", after);
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + name.size() + 3));
}

TEST(Ledger, SpendByTeamFeatureEnvAndTagFromTheApiAndTheCli) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  std::string base = fake.base_url() + "/v1";
  Node node(dir, TestConfig(PricedDeployment("chat", "gpt-4o-mini", base) + PricedDeployment("embed", "text-embedding-3-small", base)));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  // The fake answers "Hello" with 1 prompt token and 5 completion tokens: 1 + 10 = 11 µ$.
  for (int i = 0; i < 3; ++i) {
    auto r = Request(node.port(), "POST", "/v1/chat/completions",
                     Headers({{"X-Edge-Feature", "summarize"}, {"X-Edge-Env", "qa"},
                              {"X-Edge-Tags", "customer=acme"}}),
                     Chat("chat", false));
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  }
  auto r = Request(node.port(), "POST", "/v1/chat/completions",
                   Headers({{"X-Edge-Feature", "chat"}}), Chat("chat", false));
  ASSERT_TRUE(r && r->status == 200);
  auto bad = Request(node.port(), "POST", "/v1/chat/completions",
                     Headers({{"X-Edge-Tags", "customer=a b"}}), Chat("chat", false));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);  // never reaches the store

  auto all = Spend(node, "?group_by=team,feature,env");
  ASSERT_TRUE(all && all->status == 200) << (all ? all->body : "");
  EXPECT_NE(all->body.find(R"("scope":"local")"), std::string::npos) << all->body;
  size_t qa = all->body.find(R"("feature":"summarize","env":"qa")");
  ASSERT_NE(qa, std::string::npos) << all->body;
  EXPECT_EQ(Field(all->body, "requests", qa), 3);
  EXPECT_EQ(Field(all->body, "cost_micro_usd", qa), 33);
  size_t totals = all->body.find(R"("totals")");
  EXPECT_EQ(Field(all->body, "requests", totals), 5);  // the 400 is recorded, billed nothing
  EXPECT_EQ(Field(all->body, "cost_micro_usd", totals), 44);

  auto tag = Spend(node, "?group_by=tag:customer");
  ASSERT_TRUE(tag && tag->status == 200);
  EXPECT_NE(tag->body.find(R"("tag:customer":"acme","requests":3)"), std::string::npos) << tag->body;
  auto wrong = Spend(node, "?group_by=colour");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 400);
  EXPECT_NE(wrong->body.find("colour"), std::string::npos);
  auto no_key = Request(node.admin_port(), "GET", "/admin/spend");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);

  // The CLI, from the running node and from its data dir while it runs.
  std::string url = "http://127.0.0.1:" + std::to_string(node.admin_port());
  Process cli({BinaryPath(), "spend", "--url", url, "--admin-key", kAdminKey, "--by",
               "feature,env"},
              dir.path(), "spend-url");
  ASSERT_EQ(cli.Wait(20s), std::optional<int>(0)) << cli.Stderr();
  std::string table = cli.Stdout();
  EXPECT_NE(table.find("summarize"), std::string::npos) << table;
  EXPECT_NE(table.find("75.0%"), std::string::npos) << table;  // 33 of 44
  EXPECT_NE(table.find("TOTAL"), std::string::npos) << table;
  EXPECT_NE(table.find("0.000044"), std::string::npos) << table;
  Process offline({BinaryPath(), "spend", "--data-dir", dir.path() + "/node/data", "--by", "env",
                   "--format", "csv"},
                  dir.path(), "spend-dir");
  ASSERT_EQ(offline.Wait(20s), std::optional<int>(0)) << offline.Stderr();
  EXPECT_NE(offline.Stdout().find("qa,3,3,15,0,0.000033,33,0"), std::string::npos)
      << offline.Stdout();
  Process json({BinaryPath(), "spend", "--data-dir", dir.path() + "/node/data", "--format", "json"},
               dir.path(), "spend-json");
  ASSERT_EQ(json.Wait(20s), std::optional<int>(0)) << json.Stderr();
  EXPECT_NE(json.Stdout().find(R"("cost_micro_usd":44)"), std::string::npos) << json.Stdout();
  Process usage({BinaryPath(), "spend", "--data-dir", dir.path() + "/node/data", "--by", "nope"},
                dir.path(), "spend-bad");
  EXPECT_EQ(usage.Wait(20s), std::optional<int>(2));
}

TEST(Ledger, CheckListsDeploymentsWithNoKnownPriceAndStillPasses) {
  TempDir dir;
  std::string path = dir.Write("c.yaml",
                               "model_list:\n"
                               "  - model_name: chat\n"
                               "    litellm_params: {model: openai/gpt-4o-mini, api_key: k}\n"
                               "  - model_name: mine\n"
                               "    litellm_params: {model: openai/my-finetune, api_key: k}\n");
  Process p({BinaryPath(), "check", "--config", path}, dir.path(), "check");
  ASSERT_EQ(p.Wait(10s), std::optional<int>(0)) << p.Stdout() << p.Stderr();
  std::string out = p.Stdout();
  EXPECT_NE(out.find(path + ":4: model_list.1.litellm_params.model: warning: no known price for "
                            "'openai/my-finetune'"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("gpt-4o-mini'"), std::string::npos) << out;  // priced by the list
}

TEST(Ledger, MetricsCountCostAndBudgetUse) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, TestConfig(PricedDeployment("chat", "gpt-4o-mini", fake.base_url() + "/v1") + PricedDeployment("embed", "text-embedding-3-small", fake.base_url() + "/v1")));
  ASSERT_TRUE(node.ok());
  auto r = Request(node.port(), "POST", "/v1/chat/completions", Headers(), Chat("chat", false));
  ASSERT_TRUE(r && r->status == 200);
  auto m = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(m && m->status == 200);
  size_t cost = m->body.find(
      R"(llm_edge_cost_micro_usd_total{team="search",feature="",env="test",model="chat",)");
  ASSERT_NE(cost, std::string::npos) << m->body;
  EXPECT_EQ(m->body.substr(m->body.find('}', cost), 4), "} 11") << m->body;
  EXPECT_NE(m->body.find(R"(llm_edge_budget_spent_micro_usd{kind="key",name="e2e"} 11)"),
            std::string::npos);
  EXPECT_NE(m->body.find("llm_edge_ledger_records_total 1"), std::string::npos);
  EXPECT_NE(m->body.find("llm_edge_ledger_healthy 1"), std::string::npos);
}

// What the crash test's clients saw finish: request ids of complete answers.
struct Finished {
  std::mutex mu;
  std::set<std::string> ids;
};

void DriveLoad(uint16_t port, int thread, std::atomic<bool>& stop, Finished& finished) {
  for (int i = 0; !stop.load(); ++i) {
    bool stream = (i + thread) % 2 == 0;
    auto c = Connection::Open(port);
    if (!c) return;
    if (!c->Send(RequestBytes("POST", "/v1/chat/completions", Headers(), Chat("chat", stream)))) {
      return;
    }
    // A response that arrived whole: Content-Length read in full, or the chunked
    // terminator after [DONE]. Anything cut by the kill is nullopt.
    std::optional<Response> r = c->ReadResponse(5s);
    if (!r) return;
    if (r->status != 200) continue;
    if (stream && r->body.find("[DONE]") == std::string::npos) continue;
    std::lock_guard lock(finished.mu);
    finished.ids.insert(r->Header("x-edge-request-id"));
  }
}

TEST(Ledger, SigkillUnderLoadLosesNoFinishedRequestAndCountsNoneTwice) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  std::string base = fake.base_url() + "/v1";
  std::string config = TestConfig(PricedDeployment("chat", "gpt-4o-mini@chunks=3", base) + PricedDeployment("embed", "text-embedding-3-small", base));
  Finished finished;
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 6; ++t) {
      clients.emplace_back([&, t] { DriveLoad(node.port(), t, stop, finished); });
    }
    // Kill once a fair number of requests finished, while the clients keep sending.
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(finished.mu);
        if (finished.ids.size() >= 300) break;
      }
      std::this_thread::sleep_for(10ms);
    }
    node.process().Signal(SIGKILL);
    node.process().Wait(10s);
    stop.store(true);
    for (auto& c : clients) c.join();
  }
  ASSERT_GE(finished.ids.size(), 100u);

  // Reopening after the crash just works, and the node serves on.
  {
    Node again(dir, config, "node");
    ASSERT_TRUE(again.ok()) << again.process().Stderr();
    auto r = Request(again.port(), "POST", "/v1/chat/completions", Headers(), Chat("chat", false));
    ASSERT_TRUE(r && r->status == 200);
    std::lock_guard lock(finished.mu);
    finished.ids.insert(r->Header("x-edge-request-id"));
    again.process().Signal(SIGTERM);
    ASSERT_EQ(again.process().Wait(20s), std::optional<int>(0));
  }

  ledger::StoreOptions ro;
  ro.mode = ledger::OpenMode::kReadOnly;
  auto store = ledger::Store::Open(dir.path() + "/node/data/ledger", ro);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::map<std::string, ledger::RollupValue> expected;
  std::set<std::string> recorded;
  Status s = (*store)->Scan(ledger::Family::kRecords, "", "", [&](auto key, auto value) {
    auto r = ledger::DecodeRecord(value);
    EXPECT_TRUE(r);
    if (!r) return false;
    EXPECT_EQ(r->request_id, key);
    recorded.insert(r->request_id);
    std::string cell = ledger::CellKey(ledger::Granularity::kDay,
                                       ledger::PeriodOf(ledger::Granularity::kDay, r->wall_micros),
                                       ledger::DimsOf(*r));
    expected[cell] += ledger::DeltaOf(*r);
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const std::string& id : finished.ids) {
    EXPECT_TRUE(recorded.count(id)) << "finished request " << id << " has no record";
  }
  // The roll-ups agree with the records: nothing counted twice, nothing lost between them.
  for (const auto& [cell, value] : expected) {
    auto stored = (*store)->Get(ledger::Family::kRollups, cell);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ(ledger::DecodeRollup(**stored), value);
  }
}

// What a worker's journal holds of an answered request (ledger/journal_ring.h): its record
// and its audit line's tail. Written here by hand into a stopped node's ring, as a node killed
// between answering and writing the record leaves it.
void JournalAnsweredRequest(const std::string& data_dir, const std::string& request_id,
                            const std::string& team, int64_t cost_micros) {
  auto ring = ledger::JournalRing::Open(ledger::JournalPath(data_dir, 0),
                                        ledger::JournalRing::kDefaultCapacity);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  const int64_t now = SystemClock().WallMicros();
  ledger::Record r;
  r.request_id = request_id;
  r.wall_micros = now;
  r.key_id = "e2e";
  r.team = team;
  r.env = "test";
  r.model = "chat";
  r.deployment = "chat-0";
  r.provider = "openai";
  r.endpoint_jurisdiction = "EU";
  r.region = "eu-west";
  r.input_tokens = 10;
  r.output_tokens = 20;
  r.cost_micros = cost_micros;
  r.status = 200;
  r.attempts = 1;
  ledger::AuditRecord a;
  a.time_us = now;
  a.request_id = request_id;
  a.key_id = "e2e";
  a.caller = "85.214.0.1";
  a.caller_ip = ledger::CallerIpMode::kFull;
  a.country = "DE";
  a.jurisdiction = "EU";
  a.jurisdiction_source = "ip";
  a.residency = "EU";
  a.model = "chat";
  a.candidates = {{"chat-0", "EU", ""}};
  a.attempts = {{"chat-0", "EU", "ok", 200, 3}};
  a.status = 200;
  a.outcome = "ok";
  const std::string record = ledger::EncodeRecord(r);
  const std::string tail = ledger::EncodeRecordFields(a, "e2e-node", a.caller);
  char* slot = (*ring)->Reserve(ledger::JournalEntrySize(record, tail));
  ASSERT_NE(slot, nullptr);
  ledger::WriteJournalEntry(slot, record, tail);
  (*ring)->Commit();
}

// The audit verify summary's record count ("OK: N records ...").
std::string Verify(const TempDir& dir, const std::string& name) {
  Process verify({BinaryPath(), "audit", "verify", "--data-dir", dir.path() + "/node/data"},
                 dir.path(), name);
  EXPECT_EQ(verify.Wait(30s), std::optional<int>(0)) << verify.Stdout() << verify.Stderr();
  return verify.Stdout();
}

TEST(Ledger, AnAnswerWhoseRecordWasOnlyInTheJournalIsWrittenOnceByOfflineCommandsOrTheNextStart) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  std::string config =
      TestConfig(PricedDeployment("chat", "gpt-4o-mini", fake.base_url() + "/v1") +
                     PricedDeployment("embed", "text-embedding-3-small", fake.base_url() + "/v1"),
                 "", 1);
  const std::string data = dir.path() + "/node/data";
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    auto r = Request(node.port(), "POST", "/v1/chat/completions", Headers(), Chat("chat", false));
    ASSERT_TRUE(r && r->status == 200);
    node.process().Signal(SIGTERM);
    ASSERT_EQ(node.process().Wait(20s), std::optional<int>(0));
  }
  EXPECT_NE(Verify(dir, "verify-0").find("1 records"), std::string::npos);

  // A killed node's journal: `spend --data-dir` writes it first, and sees it.
  JournalAnsweredRequest(data, "journaled-1", "journal-team", 1234);
  Process spend({BinaryPath(), "spend", "--data-dir", data, "--by", "team", "--format", "csv"},
                dir.path(), "spend-dir");
  ASSERT_EQ(spend.Wait(30s), std::optional<int>(0)) << spend.Stderr();
  EXPECT_NE(spend.Stdout().find("journal-team,1,10,20,0,0.001234"), std::string::npos)
      << spend.Stdout();
  // The chain goes on through it: the audit line is in the log, the log verifies.
  EXPECT_NE(Verify(dir, "verify-1").find("2 records"), std::string::npos);

  // Another: the next start writes it before serving; one already written is not counted again.
  JournalAnsweredRequest(data, "journaled-2", "journal-team-2", 77);
  JournalAnsweredRequest(data, "journaled-1", "journal-team", 1234);
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    auto spent = Spend(node, "?group_by=team");
    ASSERT_TRUE(spent && spent->status == 200);
    size_t t1 = spent->body.find("\"journal-team\"");
    size_t t2 = spent->body.find("\"journal-team-2\"");
    ASSERT_NE(t1, std::string::npos) << spent->body;
    ASSERT_NE(t2, std::string::npos) << spent->body;
    EXPECT_EQ(Field(spent->body, "cost_micro_usd", t1), 1234) << spent->body;
    EXPECT_EQ(Field(spent->body, "cost_micro_usd", t2), 77) << spent->body;
    EXPECT_NE(node.process().Stderr().find("ledger journal replayed"), std::string::npos);
    node.process().Signal(SIGTERM);
    ASSERT_EQ(node.process().Wait(20s), std::optional<int>(0));
  }
  EXPECT_NE(Verify(dir, "verify-2").find("3 records"), std::string::npos);
}

}  // namespace
}  // namespace edge::e2e
