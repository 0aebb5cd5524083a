// GET /dashboard: the admin listener's Basic auth (what a browser sends), and the page itself
// opened in Debian's headless chromium (driven by playwright-core, tests/e2e/browser/) against
// a node with tagged traffic through a fake provider: the per-team figures it shows equal the
// ledger's (/admin/spend and `llm-edge spend --data-dir`), it loads nothing from anywhere but
// the node, and its screenshot is saved under the build tree (build/artifacts/dashboard.png).

#include <gtest/gtest.h>
#include <mbedtls/base64.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "tests/e2e/harness/browser.h"
#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

#ifndef EDGE_ARTIFACT_DIR
#define EDGE_ARTIFACT_DIR "/tmp"
#endif

namespace edge::e2e {
namespace {

std::string Base64(const std::string& s) {
  std::vector<unsigned char> out(s.size() / 3 * 4 + 8);
  size_t n = 0;
  mbedtls_base64_encode(out.data(), out.size(), &n,
                        reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return std::string(out.begin(), out.begin() + static_cast<long>(n));
}

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeOpenAI>(dir_);
    ASSERT_TRUE(fake_->ok());
    node_ = std::make_unique<Node>(
        dir_, TestConfig(StandardModels(fake_->port()) +
                         OpenAiDeployment("chat-b", "gpt-4o", fake_->base_url() + "/v1")));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }

  std::optional<Response> Admin(const std::string& path, const std::string& authorization) {
    std::map<std::string, std::string> h;
    if (!authorization.empty()) h["Authorization"] = authorization;
    return Request(node_->admin_port(), "GET", path, h);
  }

  // Tagged traffic: three teams, two features, two deployments. Returns how many succeeded.
  int SendTraffic() {
    struct Call {
      const char* team;
      const char* feature;
      const char* model;
    };
    int ok = 0;
    for (const Call& c : {Call{"search", "summarize", "chat"}, Call{"search", "chat", "chat"},
                          Call{"ads", "summarize", "chat-b"}, Call{"ads", "summarize", "chat"},
                          Call{"growth", "chat", "chat-b"}, Call{"search", "summarize", "chat-b"}}) {
      auto h = AuthHeaders();
      h["X-Edge-Team"] = c.team;
      h["X-Edge-Feature"] = c.feature;
      std::string body = std::string(R"({"model":")") + c.model +
                         R"(","messages":[{"role":"user","content":"Say hello to the edge please"}]})";
      auto r = Request(node_->port(), "POST", "/v1/chat/completions", h, body);
      if (r && r->status == 200) ++ok;
    }
    return ok;
  }

  // /admin/spend?group_by=team once the ledger holds `requests` requests (its writer thread
  // commits shortly after each answer).
  rapidjson::Document SpendByTeam(int requests) {
    const std::string auth = std::string("Bearer ") + kAdminKey;
    for (int i = 0; i < 200; ++i) {
      auto r = Admin("/admin/spend?group_by=team", auth);
      if (r && r->status == 200) {
        rapidjson::Document d = ParseJson(r->body);
        if (JsonInt(d, "totals.requests") == requests) return d;
      }
      usleep(50'000);
    }
    ADD_FAILURE() << "the ledger never counted " << requests << " requests";
    return ParseJson("{}");
  }

  TempDir dir_;
  std::unique_ptr<FakeOpenAI> fake_;
  std::unique_ptr<Node> node_;
};

TEST_F(Dashboard, BasicAuthWithTheAdminKeyAsPassword) {
  // No credentials: 401 with the challenge a browser answers by asking for a password.
  auto r = Admin("/dashboard", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->Header("www-authenticate").find("Basic realm=\"llm-edge admin\""), std::string::npos)
      << r->Header("www-authenticate");
  // Any user name, the admin key as the password: every admin path, not only the page.
  const std::string good = "Basic " + Base64(std::string("anyone:") + kAdminKey);
  r = Admin("/dashboard", good);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r->Header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r->body.find("/dashboard/chart.umd.min.js"), std::string::npos);
  for (const char* path : {"/admin/spend", "/admin/routes", "/admin/budgets", "/metrics",
                           "/dashboard/dashboard.js", "/dashboard/dashboard.css",
                           "/dashboard/chart.umd.min.js"}) {
    r = Admin(path, good);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  }
  r = Admin("/dashboard/chart.umd.min.js", good);
  EXPECT_NE(r->body.find("Chart.js"), std::string::npos) << "not the npm chart.js build";
  EXPECT_EQ(Admin("/dashboard/nothing.js", good)->status, 404);
  // The bearer form still works; wrong or malformed Basic credentials are a 401, not a crash.
  EXPECT_EQ(Admin("/admin/spend", std::string("Bearer ") + kAdminKey)->status, 200);
  for (const std::string& bad : std::vector<std::string>{
           "Basic " + Base64("admin:wrong-key"), "Basic " + Base64(kAdminKey),
        "Basic " + Base64(std::string(":") + kAdminKey).substr(0, 10), "Basic",
        "Basic !!!!", "Basic " + Base64(std::string("a\nb:") + kAdminKey),
        "Basic " + std::string(5000, 'A'), std::string("Basic  ") + Base64(":") + "=="}) {
    r = Admin("/admin/spend", bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 401) << bad;
    EXPECT_NE(r->Header("www-authenticate").find("Basic"), std::string::npos);
  }
  // Health checks stay open.
  EXPECT_EQ(Admin("/healthz", "")->status, 200);
}

TEST_F(Dashboard, SpendByDayAndBudgetsForThePage) {
  ASSERT_EQ(SendTraffic(), 6);
  rapidjson::Document month = SpendByTeam(6);
  const std::string auth = std::string("Bearer ") + kAdminKey;
  // The whole month by day and team adds up to the month's rows.
  auto r = Admin("/admin/spend?group_by=day,team", auth);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  rapidjson::Document days = ParseJson(r->body);
  EXPECT_EQ(JsonInt(days, "totals.cost_micro_usd"), JsonInt(month, "totals.cost_micro_usd"));
  const rapidjson::Value* rows = JsonAt(days, "rows");
  ASSERT_TRUE(rows && rows->IsArray() && rows->Size() == 3) << r->body;  // all today: 3 teams
  for (const auto& row : rows->GetArray()) {
    EXPECT_EQ(JsonString(row, "day").size(), 10u) << r->body;
  }
  r = Admin("/admin/spend?group_by=hour&period=2026-13", auth);
  EXPECT_EQ(r->status, 400);
  r = Admin("/admin/spend?group_by=hour,team", auth);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(":00:00Z\""), std::string::npos) << r->body;
  // Budgets: every key and team account with this month's spend.
  r = Admin("/admin/budgets", auth);
  ASSERT_EQ(r->status, 200) << r->body;
  rapidjson::Document b = ParseJson(r->body);
  const rapidjson::Value* accounts = JsonAt(b, "accounts");
  ASSERT_TRUE(accounts && accounts->IsArray()) << r->body;
  bool found_key = false;
  for (const auto& a : accounts->GetArray()) {
    if (JsonString(a, "kind") == "key" && JsonString(a, "name") == "e2e") {
      found_key = true;
      EXPECT_EQ(JsonInt(a, "spent_micro_usd"), JsonInt(month, "totals.cost_micro_usd"));
    }
  }
  EXPECT_TRUE(found_key) << r->body;
}

TEST_F(Dashboard, HeadlessChromiumShowsTheLedgersFiguresAndLoadsNothingElse) {
  if (std::string missing = BrowserMissing(); !missing.empty()) {
    GTEST_SKIP() << "headless Chromium test skipped: " << missing
                 << " is not installed; scripts/setup.sh installs it";
  }
  ASSERT_EQ(SendTraffic(), 6);
  rapidjson::Document spend = SpendByTeam(6);
  const rapidjson::Value* rows = JsonAt(spend, "rows");
  ASSERT_TRUE(rows && rows->IsArray() && rows->Size() == 3);

  // The ledger read directly (a secondary open of the running node's store).
  Process cli({BinaryPath(), "spend", "--data-dir", node_->work_dir() + "/data", "--by", "team",
               "--format", "json"},
              dir_.path(), "spend-cli");
  ASSERT_EQ(cli.Wait(30s), std::optional<int>(0)) << cli.Stderr();
  rapidjson::Document from_cli = ParseJson(cli.Stdout());
  ASSERT_FALSE(from_cli.HasParseError()) << cli.Stdout();
  std::map<std::string, int64_t> cli_cost;
  for (const auto& row : JsonAt(from_cli, "rows")->GetArray()) {
    cli_cost[JsonString(row, "team")] = JsonInt(row, "cost_micro_usd");
  }

  const std::string shot = std::string(EDGE_ARTIFACT_DIR) + "/dashboard.png";
  const std::string base = "http://127.0.0.1:" + std::to_string(node_->admin_port());
  DashboardView view = OpenDashboard(dir_, node_->admin_port(), kAdminKey, shot);
  ASSERT_TRUE(view.ok) << view.output;
  const rapidjson::Document& seen = view.json;
  const std::string& dump = view.output;
  EXPECT_EQ(JsonString(seen, "ready"), "1") << dump;
  EXPECT_EQ(JsonInt(seen, "page_status"), 200) << dump;
  EXPECT_EQ(JsonString(seen, "scope"), "local") << dump;
  EXPECT_EQ(JsonString(seen, "period"), JsonString(spend, "period")) << dump;

  // Nothing but the node: no request to any other origin was even attempted.
  ASSERT_TRUE(JsonAt(seen, "refused")->IsArray());
  EXPECT_EQ(JsonAt(seen, "refused")->Size(), 0u) << dump;
  for (const auto& u : JsonAt(seen, "requests")->GetArray()) {
    EXPECT_EQ(std::string(u.GetString()).rfind(base + "/", 0), 0u) << u.GetString();
  }
  EXPECT_EQ(JsonAt(seen, "console_errors")->Size(), 0u) << dump;
  EXPECT_EQ(JsonInt(seen, "charts"), 6) << dump;  // the month, 4 series, the routing mix

  // The per-team figures as shown equal the ledger's, as text in dollars and exactly.
  const rapidjson::Value* teams = JsonAt(seen, "teams");
  ASSERT_TRUE(teams && teams->IsArray());
  ASSERT_EQ(teams->Size(), rows->Size()) << dump;
  std::map<std::string, const rapidjson::Value*> shown;
  for (const auto& t : teams->GetArray()) shown[JsonString(t, "key")] = &t;
  for (const auto& row : rows->GetArray()) {
    const std::string team = JsonString(row, "team");
    ASSERT_TRUE(shown.count(team)) << team << " missing: " << dump;
    const rapidjson::Value& t = *shown[team];
    const int64_t cost = JsonInt(row, "cost_micro_usd");
    EXPECT_GT(cost, 0) << team;
    EXPECT_EQ(JsonInt(t, "cost_micro_usd"), cost) << team;
    EXPECT_EQ(JsonString(t, "cost_text"), UsdText(cost)) << team;
    EXPECT_NE(JsonString(t, "text").find(UsdText(cost)), std::string::npos) << team;
    EXPECT_EQ(JsonInt(t, "requests"), JsonInt(row, "requests")) << team;
    EXPECT_EQ(cli_cost[team], cost) << team << ": llm-edge spend --data-dir disagrees";
  }
  EXPECT_EQ(JsonString(seen, "total.cost_text"), UsdText(JsonInt(spend, "totals.cost_micro_usd")));
  // The routing mix names both deployments; health lists every route.
  EXPECT_EQ(JsonAt(seen, "deployments")->Size(), 2u) << dump;
  EXPECT_EQ(JsonAt(seen, "routes")->Size(), 3u) << dump;  // chat, embed, chat-b

  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 10'000u);
  std::printf("dashboard screenshot: %s\n", shot.c_str());
}

}  // namespace
}  // namespace edge::e2e
