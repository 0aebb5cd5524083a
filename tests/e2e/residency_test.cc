// Callers placed by key, by IP through trusted proxies (X-Forwarded-For v4 / v6, Forwarded)
// and by the node's rule, against two fake providers: one standing for an EU endpoint, one
// for a US endpoint. A pinned EU caller must only ever reach the EU fake; headers from an
// untrusted peer must change nothing. The GeoIP database is the tests' own
// (geo/testdata/make_test_mmdb.pl): 85.214.0.0/16 and 2a01:4f8::/32 DE, 2.0.0.0/16 and
// 2a01:cb00::/32 FR, 8.8.8.0/24 US, 133.0.0.0/8 JP.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

const std::string kTestDb = std::string(EDGE_GEO_TEST_DIR) + "/geoip2-country.mmdb";
constexpr char kEuKey[] = "sk-edge-eu-resident";

// A US node (unpinned) with an EU and a US deployment of the alias "chat".
std::string GeoConfig(uint16_t eu_port, uint16_t us_port, const std::string& geo_yaml) {
  auto deployment = [](const std::string& id, uint16_t port, const std::string& j) {
    return "  - model_name: chat\n"
           "    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-up, api_base: "
           "\"http://127.0.0.1:" + std::to_string(port) + "/v1\"}\n"
           "    model_info: {id: " + id + ", jurisdiction: " + j + "}\n";
  };
  return "node: {id: geo-node, region: us-east, jurisdiction: US, listen: \"127.0.0.1:0\",\n"
         "       admin_listen: \"127.0.0.1:0\", data_dir: ./data, workers: 1}\n"
         "geo: " + geo_yaml + "\n"
         "jurisdictions:\n"
         "  EU: {countries: [DE, FR], pinned: true}\n"
         "  US: {countries: [US]}\n"
         "router_settings: {routing_strategy: simple-shuffle, num_retries: 0}\n"
         "model_list:\n" + deployment("chat-eu", eu_port, "EU") + deployment("chat-us", us_port, "US") +
         "keys:\n"
         "  - {id: anyone, key_sha256: \"" + Sha256Hex(kTestKey) + "\"}\n"
         "  - {id: eu-resident, residency: EU, key_sha256: \"" + Sha256Hex(kEuKey) + "\"}\n";
}

class Residency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    eu_ = new FakeOpenAI(*dir_);
    us_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(eu_->ok() && us_->ok());
    // Loopback is the trusted proxy here, as a load balancer in front of the node would be.
    trusted_ = new Node(*dir_,
                        GeoConfig(eu_->port(), us_->port(),
                                  "{database: \"" + kTestDb +
                                      "\", trusted_proxies: [\"127.0.0.1/32\", \"10.0.0.0/8\", "
                                      "\"2001:db8::/32\"]}"),
                        "trusted");
    ASSERT_TRUE(trusted_->ok()) << trusted_->process().Stderr();
    // Loopback is an ordinary client here: its forwarding headers mean nothing.
    untrusted_ = new Node(*dir_,
                          GeoConfig(eu_->port(), us_->port(),
                                    "{database: \"" + kTestDb +
                                        "\", trusted_proxies: [\"10.0.0.0/8\"]}"),
                          "untrusted");
    ASSERT_TRUE(untrusted_->ok()) << untrusted_->process().Stderr();
    deny_ = new Node(*dir_,
                     GeoConfig(eu_->port(), us_->port(),
                               "{database: \"" + kTestDb +
                                   "\", trusted_proxies: [\"127.0.0.1\"], unknown_caller: deny}"),
                     "deny");
    ASSERT_TRUE(deny_->ok()) << deny_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete deny_;
    delete untrusted_;
    delete trusted_;
    delete us_;
    delete eu_;
    delete dir_;
  }

  static std::optional<Response> Chat(const Node& node, std::map<std::string, std::string> extra,
                                      const std::string& key = kTestKey) {
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + key},
                                            {"Content-Type", "application/json"}};
    for (auto& [k, v] : extra) h[k] = v;
    return Request(node.port(), "POST", "/v1/chat/completions", h, ChatBody("chat", false));
  }

  // Sends `n` requests and expects each to be pinned to the EU fake, by `source`.
  static void ExpectOnlyEu(const Node& node, const std::map<std::string, std::string>& extra,
                           const std::string& source, const std::string& key = kTestKey,
                           int n = 12) {
    long eu_before = eu_->Stat("requests"), us_before = us_->Stat("requests");
    for (int i = 0; i < n; ++i) {
      auto r = Chat(node, extra, key);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      EXPECT_EQ(r->Header("x-edge-jurisdiction"), "EU; source=" + source);
      EXPECT_EQ(r->Header("x-edge-deployment"), "chat-eu");
    }
    EXPECT_EQ(eu_->Stat("requests"), eu_before + n);
    EXPECT_EQ(us_->Stat("requests"), us_before) << "a pinned EU request reached the US fake";
  }

  static TempDir* dir_;
  static FakeOpenAI *eu_, *us_;
  static Node *trusted_, *untrusted_, *deny_;
};
TempDir* Residency::dir_;
FakeOpenAI* Residency::eu_;
FakeOpenAI* Residency::us_;
Node* Residency::trusted_;
Node* Residency::untrusted_;
Node* Residency::deny_;

TEST_F(Residency, EuCallerByTrustedXForwardedForV4) {
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "85.214.0.1"}}, "ip");
  // What the client wrote itself is left of the address the proxy appended: never read.
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "8.8.8.8, 2.0.1.2, 10.3.3.3"}}, "ip");
}

TEST_F(Residency, EuCallerByTrustedXForwardedForV6) {
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "2a01:4f8::1"}}, "ip");
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "8.8.8.8, [2a01:cb00::5]:443, 2001:db8::7"}},
               "ip");
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "::ffff:85.214.0.1"}}, "ip");
}

TEST_F(Residency, EuCallerByForwarded) {
  ExpectOnlyEu(*trusted_, {{"Forwarded", "for=\"[2a01:4f8::1]:4711\";proto=https, for=10.1.2.3"}},
               "ip");
  ExpectOnlyEu(*trusted_, {{"Forwarded", "for=8.8.8.8, For=85.214.0.9;by=_lb"}}, "ip");
  // Forwarded wins over X-Forwarded-For when a proxy sends both.
  ExpectOnlyEu(*trusted_, {{"Forwarded", "for=2.0.1.2"}, {"X-Forwarded-For", "8.8.8.8"}}, "ip");
}

TEST_F(Residency, EuCallerByKeyWhereverItIs) {
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "8.8.8.8"}}, "key", kEuKey);
  ExpectOnlyEu(*untrusted_, {}, "key", kEuKey);
}

TEST_F(Residency, UsAndUnplacedCallers) {
  auto r = Chat(*trusted_, {{"X-Forwarded-For", "8.8.8.8"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Header("x-edge-jurisdiction"), "US; source=ip");
  // JP is in no jurisdiction: placed, not pinned.
  r = Chat(*trusted_, {{"X-Forwarded-For", "133.1.2.3"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-edge-jurisdiction"), "none; source=ip");
  // Loopback itself is in no country: the node's own jurisdiction.
  r = Chat(*trusted_, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-edge-jurisdiction"), "US; source=node");
  // An unreadable hop from a trusted proxy places nobody: the node's rule.
  r = Chat(*trusted_, {{"X-Forwarded-For", "85.214.0.1, not-an-address"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-edge-jurisdiction"), "US; source=node");
}

TEST_F(Residency, SpoofedHeadersFromAnUntrustedPeerAreIgnored) {
  for (auto h : std::vector<std::map<std::string, std::string>>{
           {{"X-Forwarded-For", "85.214.0.1"}},
           {{"X-Forwarded-For", "2a01:4f8::1"}},
           {{"Forwarded", "for=85.214.0.1"}}}) {
    auto r = Chat(*untrusted_, h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->Header("x-edge-jurisdiction"), "US; source=node");
  }
}

TEST_F(Residency, HeaderNarrowsAnUnpinnedCaller) {
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "8.8.8.8"}, {"X-Edge-Residency", "EU"}}, "header");
  ExpectOnlyEu(*untrusted_, {{"X-Edge-Residency", "EU"}}, "header");
  // The same jurisdiction as the pinned one: the stronger rule stays the source.
  ExpectOnlyEu(*trusted_, {{"X-Forwarded-For", "85.214.0.1"}, {"X-Edge-Residency", "EU"}}, "ip");
}

TEST_F(Residency, HeaderNeverMovesAPinnedCallerOut) {
  long us_before = us_->Stat("requests");
  auto r = Chat(*trusted_, {{"X-Forwarded-For", "85.214.0.1"}, {"X-Edge-Residency", "US"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("residency_conflict"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("US"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("pinned jurisdiction EU (source=ip)"), std::string::npos) << r->body;
  r = Chat(*untrusted_, {{"X-Edge-Residency", "US"}}, kEuKey);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("pinned jurisdiction EU (source=key)"), std::string::npos) << r->body;
  r = Chat(*untrusted_, {{"X-Edge-Residency", "Atlantis"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("invalid_residency"), std::string::npos) << r->body;
  EXPECT_EQ(us_->Stat("requests"), us_before);
}

TEST_F(Residency, DenyRefusesCallersItCannotPlace) {
  auto r = Chat(*deny_, {});  // loopback: no country
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("caller_not_placed"), std::string::npos) << r->body;
  EXPECT_FALSE(r->Header("x-edge-request-id").empty());
  r = Chat(*deny_, {{"X-Forwarded-For", "garbage"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  ExpectOnlyEu(*deny_, {{"X-Forwarded-For", "85.214.0.1"}}, "ip", kTestKey, 3);
  // The key decides before the caller's place is needed.
  ExpectOnlyEu(*deny_, {}, "key", kEuKey, 3);
}

// The database is part of the config snapshot: SIGHUP opens the one the new config names and
// swaps both; a config whose database cannot be opened is refused and the old pair serves on.
TEST_F(Residency, ReloadSwapsTheDatabaseWithTheConfig) {
  auto config = [&](const std::string& db) {
    return GeoConfig(eu_->port(), us_->port(),
                     "{database: \"" + db + "\", trusted_proxies: [\"127.0.0.1\"]}");
  };
  Node node(*dir_, config(kTestDb), "reload");
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  auto placed = [&](const std::string& ip) {
    auto r = Chat(node, {{"X-Forwarded-For", ip}});
    return r ? r->Header("x-edge-jurisdiction") : std::string("no answer");
  };
  EXPECT_EQ(placed("133.1.2.3"), "none; source=ip");  // JP in the first database

  // The IPinfo test database has no 133.0.0.0/8.
  std::ofstream(node.config_path()) << config(std::string(EDGE_GEO_TEST_DIR) + "/ipinfo-country.mmdb");
  node.process().Signal(SIGHUP);
  ASSERT_TRUE(node.process().WaitForLine("config reloaded", true, 10s));
  EXPECT_EQ(placed("133.1.2.3"), "US; source=node");
  EXPECT_EQ(placed("85.214.0.1"), "EU; source=ip");

  std::string junk = dir_->Write("junk.mmdb", "not a database");
  std::ofstream(node.config_path()) << config(junk);
  node.process().Signal(SIGHUP);
  ASSERT_TRUE(node.process().WaitForLine("reload refused", true, 10s));
  EXPECT_NE(node.process().Stderr().find("junk.mmdb"), std::string::npos);
  EXPECT_EQ(placed("133.1.2.3"), "US; source=node");
  EXPECT_EQ(placed("85.214.0.1"), "EU; source=ip");
}

// `llm-edge geo lookup` prints IP COUNTRY JURISDICTION source=..., with the config's database.
TEST(GeoLookup, PrintsThePlacementAndExitCodes) {
  TempDir dir;
  std::string cfg = dir.Write("geo.yaml", GeoConfig(1, 2, "{database: \"" + kTestDb + "\"}"));
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {BinaryPath(), "geo", "lookup"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto p = std::make_unique<Process>(argv, dir.path(), "geo");
    auto code = p->Wait(10s);
    return std::make_pair(code.value_or(-1), p->Stdout() + p->Stderr());
  };
  EXPECT_EQ(run({"85.214.0.1", "--config", cfg}), std::make_pair(0, std::string("85.214.0.1 DE EU source=ip\n")));
  EXPECT_EQ(run({"2a01:cb00::1", "--config", cfg}).second, "2a01:cb00::1 FR EU source=ip\n");
  EXPECT_EQ(run({"8.8.8.8", "--config", cfg}).second, "8.8.8.8 US US source=ip\n");
  EXPECT_EQ(run({"133.1.2.3", "--config", cfg}).second, "133.1.2.3 JP none source=ip\n");
  EXPECT_EQ(run({"10.1.1.1", "--config", cfg}), std::make_pair(0, std::string("10.1.1.1 -- US source=node\n")));
  auto bad = run({"85.214.0.1.7", "--config", cfg});
  EXPECT_EQ(bad.first, 2);
  EXPECT_NE(bad.second.find("not an IPv4 or IPv6 address"), std::string::npos) << bad.second;
  auto explain = run({"85.214.0.1", "--config", cfg, "--explain"});
  EXPECT_EQ(explain.first, 0);
  EXPECT_NE(explain.second.find("EU is pinned"), std::string::npos) << explain.second;
  EXPECT_NE(explain.second.find("chat: chat-eu (EU)"), std::string::npos) << explain.second;
  EXPECT_EQ(explain.second.find("chat-us"), std::string::npos) << explain.second;
}

// With geo.database "" the node uses the built-in database (from tor-geoipdb) it finds
// beside the build or installed by scripts/setup.sh.
TEST(GeoLookup, BuiltInDatabaseIsFoundAndUsed) {
  TempDir dir;
  std::string cfg = dir.Write("geo.yaml", GeoConfig(1, 2, "{database: \"\"}"));
  for (auto [ip, want] : std::vector<std::pair<std::string, std::string>>{
           {"85.214.0.1", "85.214.0.1 DE EU source=ip\n"},
           {"2a01:4f8::1", "2a01:4f8::1 DE EU source=ip\n"},
           {"8.8.8.8", "8.8.8.8 US US source=ip\n"},
           {"127.0.0.1", "127.0.0.1 -- US source=node\n"}}) {
    Process p({BinaryPath(), "geo", "lookup", ip, "--config", cfg}, dir.path(), "geo");
    EXPECT_EQ(p.Wait(10s), std::optional<int>(0));
    EXPECT_EQ(p.Stdout(), want) << p.Stderr();
  }
}

}  // namespace
}  // namespace edge::e2e

namespace edge::e2e {
namespace {

// `llm-edge check` warns for each deployment whose jurisdiction is unknown, and still passes.
TEST(GeoCheck, WarnsForDeploymentsOfUnknownJurisdiction) {
  TempDir dir;
  std::string path = dir.Write(
      "check.yaml",
      "model_list:\n"
      "  - model_name: chat\n"
      "    litellm_params: {model: openai/gpt-4o, api_key: k}\n"
      "  - model_name: chat\n"
      "    litellm_params: {model: bedrock/anthropic.claude-3, aws_region_name: eu-west-3,\n"
      "                     aws_access_key_id: a, aws_secret_access_key: s}\n"
      "  - model_name: chat\n"
      "    litellm_params: {model: azure/gpt-4o, api_key: k, api_base: \"https://r.openai.azure.com\",\n"
      "                     region_name: moonbase}\n"
      "    model_info: {id: azure-moon}\n"
      "  - model_name: chat\n"
      "    litellm_params: {model: openai/gpt-4o, api_key: k}\n"
      "    model_info: {id: declared, jurisdiction: EU}\n");
  Process p({BinaryPath(), "check", "--config", path}, dir.path(), "check");
  ASSERT_EQ(p.Wait(10s), std::optional<int>(0)) << p.Stdout() << p.Stderr();
  std::string out = p.Stdout();
  EXPECT_NE(out.find(path + ":2: model_list.0: warning: deployment "), std::string::npos) << out;
  EXPECT_NE(out.find(path + ":7: model_list.2: warning: deployment azure-moon has no known "
                            "jurisdiction (region moonbase is not in the region table)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("model_list.1:"), std::string::npos) << out;  // eu-west-3: EU
  EXPECT_EQ(out.find("model_list.3:"), std::string::npos) << out;  // declared
  EXPECT_NE(out.find(path + ": ok"), std::string::npos) << out;
}

TEST(GeoLookup, UsageErrorsExitTwo) {
  TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"geo"}, {"geo", "lookup"}, {"geo", "lookup", "85.214.0.1"}, {"geo", "find", "1.2.3.4"}}) {
    args.insert(args.begin(), BinaryPath());
    Process p(args, dir.path(), "geo");
    EXPECT_EQ(p.Wait(10s), std::optional<int>(2));
    EXPECT_NE(p.Stderr().find("usage: llm-edge geo lookup"), std::string::npos) << p.Stderr();
  }
}

}  // namespace
}  // namespace edge::e2e
