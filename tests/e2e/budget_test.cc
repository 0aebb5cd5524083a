// Budgets and rate limits end to end (docs/ledger.md): a budget that fits one request holds
// against a hundred concurrent ones, survives a restart, and is shared by a team's keys;
// rpm and tpm answer 429 with Retry-After.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

// One request ("Hello", max_tokens 5) costs 1 prompt + 5 completion tokens at $0.001 per
// token: $0.006 = 6000 µ$. Its reservation is the prompt estimate + max_tokens at that price,
// at least as much.
std::string Config(const std::string& base, const std::string& keys_and_teams) {
  return "node:\n"
         "  id: budget-node\n"
         "  region: eu-west\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: ./data\n"
         "  workers: 2\n"
         "model_list:\n"
         "  - model_name: chat\n"
         "    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" + base + "\", api_key: k}\n"
         "    model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}\n" +
         keys_and_teams +
         "admin:\n"
         "  key_sha256: \"" + Sha256Hex(kAdminKey) + "\"\n";
}

std::string Key(const std::string& id, const std::string& secret, const std::string& extra) {
  return "  - {id: " + id + ", key_sha256: \"" + Sha256Hex(secret) + "\"" + extra + "}\n";
}

std::optional<Response> Chat(const Node& node, const std::string& secret, int max_tokens = 5,
                             const std::string& team_header = "") {
  std::map<std::string, std::string> headers = {{"Authorization", "Bearer " + secret},
                                                {"Content-Type", "application/json"}};
  if (!team_header.empty()) headers["X-Edge-Team"] = team_header;
  return Request(node.port(), "POST", "/v1/chat/completions", headers,
                 R"({"model":"chat","max_tokens":)" + std::to_string(max_tokens) +
                     R"(,"messages":[{"role":"user","content":"Hello"}]})");
}

// The admin /metrics value of one budget gauge, or -1.
long BudgetSpent(const Node& node, const std::string& kind, const std::string& name) {
  auto m = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  if (!m) return -1;
  std::string series =
      "llm_edge_budget_spent_micro_usd{kind=\"" + kind + "\",name=\"" + name + "\"} ";
  size_t at = m->body.find(series);
  return at == std::string::npos ? -1 : std::stol(m->body.substr(at + series.size()));
}

TEST(Budget, AHundredConcurrentRequestsAgainstABudgetThatFitsOneLetAtMostTwoThrough) {
  TempDir dir;
  FakeOpenAI fake(dir, {"--fault", "slow=200"});  // in flight together
  ASSERT_TRUE(fake.ok());
  std::string config = Config(fake.base_url() + "/v1",
                              "keys:\n" + Key("capped", "sk-capped", ", budget_usd_monthly: 0.006"));
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::string refusal;
  std::mutex mu;
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    std::vector<std::thread> threads;
    for (int i = 0; i < 100; ++i) {
      threads.emplace_back([&] {
        auto r = Chat(node, "sk-capped");
        if (r && r->status == 200) {
          ++ok;
        } else if (r && r->status == 429) {
          ++refused;
          std::lock_guard lock(mu);
          if (refusal.empty()) refusal = r->Header("retry-after") + " " + r->body;
        } else {
          ++other;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_GE(ok.load(), 1);
    EXPECT_LE(ok.load(), 2);
    EXPECT_EQ(ok.load() + refused.load(), 100);
    EXPECT_EQ(other.load(), 0);
    // The refusal names the budget, its amount and when it resets, with Retry-After.
    EXPECT_NE(refusal.find("key 'capped'"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("$0.006000"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("resets at"), std::string::npos) << refusal;
    EXPECT_GT(std::stol(refusal), 0) << refusal;
    // Settled spend stays within the budget plus one request.
    auto m = Request(node.admin_port(), "GET", "/metrics",
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
    ASSERT_TRUE(m);
    size_t at = m->body.find(R"(llm_edge_budget_spent_micro_usd{kind="key",name="capped"} )");
    ASSERT_NE(at, std::string::npos) << m->body;
    long spent = std::stol(m->body.substr(m->body.find("} ", at) + 2));
    EXPECT_EQ(spent, 6000L * ok.load());
    EXPECT_LE(spent, 6000 + 6000);
  }
  // After a restart the spent amount is still there: still refused.
  Node again(dir, config, "node");
  ASSERT_TRUE(again.ok()) << again.process().Stderr();
  auto r = Chat(again, "sk-capped");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_FALSE(r->Header("retry-after").empty());
}

TEST(Budget, ATeamBudgetIsSharedByItsKeys) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, Config(fake.base_url() + "/v1",
                        "keys:\n" + Key("a", "sk-a", ", team: search") +
                            Key("b", "sk-b", ", team: search") + Key("c", "sk-c", ", team: ads") +
                            "teams:\n  - {name: search, budget_usd_monthly: 0.012}\n"));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  auto r1 = Chat(node, "sk-a");
  ASSERT_TRUE(r1 && r1->status == 200) << (r1 ? r1->body : "no answer");
  auto r2 = Chat(node, "sk-a");  // 6000 < 12000: admitted, reaches the budget
  ASSERT_TRUE(r2 && r2->status == 200) << (r2 ? r2->body : "no answer");
  auto r3 = Chat(node, "sk-b");  // the other key of the team
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 429);
  EXPECT_NE(r3->body.find("team 'search'"), std::string::npos) << r3->body;
  auto r4 = Chat(node, "sk-c");  // another team is not affected
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->status, 200);
}

// docs/ledger.md: a key's configured team owns its budget; X-Edge-Team only tags the spend.
// Keys without a team are charged to the team their header names. A restart rebuilds the
// spent amounts by the same rule.
TEST(Budget, ATeamBudgetFollowsTheKeysConfiguredTeamNotTheHeader) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  std::string config =
      Config(fake.base_url() + "/v1",
             "keys:\n" + Key("a", "sk-a", ", team: search") + Key("free", "sk-free", "") +
                 "teams:\n  - {name: search, budget_usd_monthly: 0.012}\n"
                 "  - {name: ads, budget_usd_monthly: 0.006}\n");
  {
    Node node(dir, config, "node");
    ASSERT_TRUE(node.ok()) << node.process().Stderr();
    // Key a says it is ads: both requests still go on search's budget, ads' stays untouched.
    for (int i = 0; i < 2; ++i) {
      auto r = Chat(node, "sk-a", 5, "ads");
      ASSERT_TRUE(r && r->status == 200) << i << (r ? r->body : "no answer");
    }
    EXPECT_EQ(BudgetSpent(node, "team", "search"), 12000);
    EXPECT_EQ(BudgetSpent(node, "team", "ads"), 0);
    auto over = Chat(node, "sk-a", 5, "ads");  // search is used up; ads cannot rescue it
    ASSERT_TRUE(over);
    EXPECT_EQ(over->status, 429);
    EXPECT_NE(over->body.find("team 'search'"), std::string::npos) << over->body;
    // Nor can a key of search escape its budget by naming no team or a team without one.
    auto other = Chat(node, "sk-a", 5, "nobudget");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 429) << other->body;
    // A key without a team is charged to the team its header names.
    auto f1 = Chat(node, "sk-free", 5, "ads");
    ASSERT_TRUE(f1 && f1->status == 200) << (f1 ? f1->body : "no answer");
    EXPECT_EQ(BudgetSpent(node, "team", "ads"), 6000);
    auto f2 = Chat(node, "sk-free", 5, "ads");
    ASSERT_TRUE(f2);
    EXPECT_EQ(f2->status, 429);
    EXPECT_NE(f2->body.find("team 'ads'"), std::string::npos) << f2->body;
    auto f3 = Chat(node, "sk-free");  // no team: no team budget
    ASSERT_TRUE(f3);
    EXPECT_EQ(f3->status, 200) << f3->body;
    // The spend report still groups by the tag: a's two requests are ads' spend there.
    auto spend = Request(node.admin_port(), "GET", "/admin/spend?group_by=team",
                         {{"Authorization", std::string("Bearer ") + kAdminKey}});
    ASSERT_TRUE(spend && spend->status == 200);
    rapidjson::Document doc = ParseJson(spend->body);
    ASSERT_FALSE(doc.HasParseError()) << spend->body;
    int64_t ads_cost = -1;
    for (const auto& row : doc["rows"].GetArray()) {
      if (JsonString(row, "team") == "ads") ads_cost = JsonInt(row, "cost_micro_usd");
    }
    EXPECT_EQ(ads_cost, 18000) << spend->body;
  }
  Node again(dir, config, "node");
  ASSERT_TRUE(again.ok()) << again.process().Stderr();
  EXPECT_EQ(BudgetSpent(again, "team", "search"), 12000);
  EXPECT_EQ(BudgetSpent(again, "team", "ads"), 6000);
  auto r = Chat(again, "sk-a", 5, "ads");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_NE(r->body.find("team 'search'"), std::string::npos) << r->body;
}

TEST(Budget, RpmAndTpmAnswer429WithRetryAfter) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  Node node(dir, Config(fake.base_url() + "/v1",
                        "keys:\n" + Key("r", "sk-r", ", rpm: 3") + Key("t", "sk-t", ", tpm: 10")));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  for (int i = 0; i < 3; ++i) {
    auto r = Chat(node, "sk-r");
    ASSERT_TRUE(r && r->status == 200) << i << (r ? r->body : "no answer");
  }
  auto fourth = Chat(node, "sk-r");
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 429);
  EXPECT_NE(fourth->body.find("3 requests per minute"), std::string::npos) << fourth->body;
  EXPECT_GE(std::stol(fourth->Header("retry-after")), 1);
  // tpm 10: the first request passes and uses 6 tokens (settled on its real usage); the
  // next one's estimate (its prompt + max_tokens 5) no longer fits this minute.
  auto first = Chat(node, "sk-t");
  ASSERT_TRUE(first && first->status == 200) << (first ? first->body : "");
  auto next = Chat(node, "sk-t");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 429);
  EXPECT_NE(next->body.find("tokens per minute"), std::string::npos) << next->body;
  EXPECT_GE(std::stol(next->Header("retry-after")), 1);
}

}  // namespace
}  // namespace edge::e2e
