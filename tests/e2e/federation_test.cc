// Federation end to end (docs/federation.md): real nodes gossiping on loopback ports with their
// own configs and data dirs. Five nodes in three regions agree on the world's spend, mark a
// killed node dead, take it back under a new generation without double counting, and heal a
// partition (the test-only blocking switch); a node with the wrong key never joins; a global
// budget holds across two nodes; `audit verify --witness` holds, then catches a log cut after
// peers witnessed its head. Waits poll with deadlines; nothing asserts a timing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rocksdb/write_batch.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/audit_chain.h"
#include "ledger/audit_codec.h"
#include "ledger/store.h"
#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

constexpr char kGossipKey[] = "e2e-gossip-key";
constexpr auto kDeadline = std::chrono::seconds(45);

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Spec {
  std::string id, region;
  uint16_t gossip_port = 0;
  std::string key = kGossipKey;
  std::string extra;      // more top-level YAML (keys:, audit:)
  std::string fed_extra = "";  // more lines under federation: (tls:)
};

// One request ("Hello", max_tokens 5) costs 1 prompt + 5 completion tokens at $0.001 each.
constexpr int64_t kRequestMicros = 6000;

std::string Config(const Spec& s, const std::string& base, const std::vector<uint16_t>& seeds) {
  std::string peers;
  for (size_t i = 0; i < seeds.size(); ++i) {
    // The second seed by name: it is resolved by DNS (and re-resolved).
    peers += (i ? ", \"" : "\"") + std::string(i == 1 ? "localhost" : "127.0.0.1") + ":" +
             std::to_string(seeds[i]) + "\"";
  }
  return "node:\n"
         "  id: " + s.id + "\n"
         "  region: " + s.region + "\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: ./data\n"
         "  workers: 1\n"
         "federation:\n"
         "  listen: \"127.0.0.1:" + std::to_string(s.gossip_port) + "\"\n"
         "  peers: [" + peers + "]\n"
         "  key: " + s.key + "\n"
         "  interval_ms: 150\n"
         "  phi_suspect: 4\n"
         "  phi_dead: 8\n" +
         s.fed_extra +
         "model_list:\n"
         "  - model_name: chat\n"
         "    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" + base + "\", api_key: k}\n"
         "    model_info: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}\n"
         "keys:\n"
         "  - {id: e2e, key_sha256: \"" + Sha256Hex(kTestKey) + "\"}\n" +
         s.extra +
         "admin:\n"
         "  key_sha256: \"" + Sha256Hex(kAdminKey) + "\"\n";
}

std::optional<Response> Chat(const Node& node, const std::string& team,
                             const std::string& key = kTestKey) {
  return Request(node.port(), "POST", "/v1/chat/completions",
                 {{"Authorization", "Bearer " + key},
                  {"Content-Type", "application/json"},
                  {"X-Edge-Team", team}},
                 R"({"model":"chat","max_tokens":5,"messages":[{"role":"user","content":"Hello"}]})");
}

std::string Admin(const Node& node, const std::string& path) {
  auto r = Request(node.admin_port(), "GET", path,
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  return r && r->status == 200 ? r->body : std::string();
}

// team -> (requests, cost) of a spend answer grouped by team.
using Totals = std::map<std::string, std::pair<int64_t, int64_t>>;
std::optional<Totals> SpendByTeam(const Node& node, const std::string& scope) {
  std::string body = Admin(node, "/admin/spend?group_by=team&scope=" + scope);
  rapidjson::Document doc = ParseJson(body);
  if (body.empty() || doc.HasParseError() || !doc.HasMember("rows")) return std::nullopt;
  Totals t;
  for (const auto& row : doc["rows"].GetArray()) {
    t[JsonString(row, "team")] = {JsonInt(row, "requests"), JsonInt(row, "cost_micro_usd")};
  }
  return t;
}

Totals Sum(const std::vector<Totals>& parts) {
  Totals sum;
  for (const Totals& p : parts) {
    for (const auto& [team, v] : p) {
      sum[team].first += v.first;
      sum[team].second += v.second;
    }
  }
  return sum;
}

// member id -> (state, incarnation) in the node's /admin/peers.
std::map<std::string, std::pair<std::string, int64_t>> Members(const Node& node) {
  std::map<std::string, std::pair<std::string, int64_t>> out;
  rapidjson::Document doc = ParseJson(Admin(node, "/admin/peers"));
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("members")) return out;
  for (const auto& m : doc["members"].GetArray()) {
    out[JsonString(m, "id")] = {JsonString(m, "state"), JsonInt(m, "incarnation")};
  }
  return out;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = kDeadline) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

long Metric(const Node& node, const std::string& series) {
  std::string body = Admin(node, "/metrics");
  size_t at = body.find(series + " ");
  return at == std::string::npos ? -1 : std::stol(body.substr(at + series.size() + 1));
}

class Cluster {
 public:
  explicit Cluster(const TempDir& dir) : dir_(dir) {}
  void Add(Spec spec, const std::string& base, std::vector<uint16_t> seeds) {
    specs_.push_back(std::move(spec));
    bases_.push_back(base);
    seeds_.push_back(std::move(seeds));
    nodes_.emplace_back();
    Start(specs_.size() - 1);
  }
  void Start(size_t i) {
    nodes_[i] = std::make_unique<Node>(dir_, Config(specs_[i], bases_[i], seeds_[i]), specs_[i].id,
                                       /*require_ready=*/true,
                                       std::map<std::string, std::string>{
                                           {"LLM_EDGE_TEST_GOSSIP_BLOCK_FILE", BlockFile(i)}});
  }
  void Kill(size_t i) {
    nodes_[i]->process().Signal(SIGKILL);
    nodes_[i]->process().Wait(std::chrono::seconds(10));
    nodes_[i].reset();
  }
  std::string BlockFile(size_t i) const { return dir_.path() + "/block-" + specs_[i].id; }
  Node& node(size_t i) { return *nodes_[i]; }
  bool up(size_t i) const { return nodes_[i] != nullptr; }
  const Spec& spec(size_t i) const { return specs_[i]; }
  size_t size() const { return nodes_.size(); }

  // Every running node's global view equals the sum of every node's local ledger.
  // `locals` stands in for nodes that are down.
  bool Converged(const std::map<size_t, Totals>& down_locals = {}) {
    std::vector<Totals> locals;
    for (size_t i = 0; i < size(); ++i) {
      if (!up(i)) {
        locals.push_back(down_locals.at(i));
        continue;
      }
      auto t = SpendByTeam(node(i), "local");
      if (!t) return false;
      locals.push_back(*t);
    }
    const Totals want = Sum(locals);
    for (size_t i = 0; i < size(); ++i) {
      if (!up(i)) continue;
      auto g = SpendByTeam(node(i), "global");
      if (!g || *g != want) return false;
    }
    return true;
  }

 private:
  const TempDir& dir_;
  std::vector<Spec> specs_;
  std::vector<std::string> bases_;
  std::vector<std::vector<uint16_t>> seeds_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

std::string Describe(Cluster& c) {
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c.up(i)) continue;
    out += c.spec(i).id + " peers: " + Admin(c.node(i), "/admin/peers") + "\n  global: " +
           Admin(c.node(i), "/admin/spend?group_by=team&scope=global") + "\n  local: " +
           Admin(c.node(i), "/admin/spend?group_by=team") + "\n";
  }
  return out;
}

TEST(Federation, FiveNodesInThreeRegionsAgreeSurviveAKillAndHealAPartition) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const std::string base = fake.base_url() + "/v1";
  const std::vector<std::pair<std::string, std::string>> layout = {
      {"eu-a", "eu-west"}, {"eu-b", "eu-west"}, {"us-c", "us-east"},
      {"us-d", "us-east"}, {"ap-e", "ap-south"}};
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < layout.size(); ++i) ports.push_back(FreePort());
  Cluster c(dir);
  for (size_t i = 0; i < layout.size(); ++i) {
    c.Add({layout[i].first, layout[i].second, ports[i], kGossipKey, ""}, base, {ports[0], ports[2]});
    ASSERT_TRUE(c.node(i).ok()) << c.node(i).process().Stderr();
  }
  auto all_alive = [&](size_t except = SIZE_MAX) {
    for (size_t i = 0; i < c.size(); ++i) {
      if (!c.up(i)) continue;
      auto m = Members(c.node(i));
      for (size_t j = 0; j < c.size(); ++j) {
        if (j == except) continue;
        auto it = m.find(c.spec(j).id);
        if (it == m.end() || it->second.first != "alive") return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitFor([&] { return all_alive(); })) << Describe(c);

  // Traffic on each node, two teams.
  for (size_t i = 0; i < c.size(); ++i) {
    for (size_t n = 0; n <= i; ++n) {
      auto r = Chat(c.node(i), n % 2 ? "search" : "ads");
      ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    }
  }
  ASSERT_TRUE(WaitFor([&] { return c.Converged(); })) << Describe(c);
  {
    auto g = SpendByTeam(c.node(4), "global");
    ASSERT_TRUE(g);
    EXPECT_EQ((*g)["ads"].first + (*g)["search"].first, 15);  // 1+2+3+4+5
    EXPECT_EQ((*g)["ads"].second + (*g)["search"].second, 15 * kRequestMicros);
  }
  // Grouped by region: each region's row is the sum of its nodes' ledgers.
  {
    rapidjson::Document doc =
        ParseJson(Admin(c.node(0), "/admin/spend?group_by=region&scope=global"));
    ASSERT_FALSE(doc.HasParseError());
    std::map<std::string, int64_t> by_region;
    for (const auto& row : doc["rows"].GetArray()) {
      by_region[JsonString(row, "region")] = JsonInt(row, "requests");
    }
    EXPECT_EQ(by_region, (std::map<std::string, int64_t>{
                             {"eu-west", 3}, {"us-east", 7}, {"ap-south", 5}}));
    for (const char* region : {"eu-west", "us-east", "ap-south"}) {
      const rapidjson::Value* r = JsonAt(doc, std::string("regions.") + region + ".reachable");
      ASSERT_TRUE(r != nullptr && r->IsBool()) << region;
      EXPECT_TRUE(r->GetBool());
      EXPECT_FALSE(JsonString(doc, std::string("regions.") + region + ".as_of").empty());
    }
  }

  // The same from the command line.
  {
    Process cli({BinaryPath(), "spend", "--url",
                 "http://127.0.0.1:" + std::to_string(c.node(3).admin_port()), "--admin-key",
                 kAdminKey, "--global", "--by", "region"},
                dir.path(), "spend-global");
    ASSERT_EQ(cli.Wait(std::chrono::seconds(30)), std::optional<int>(0)) << cli.Stderr();
    const std::string out = cli.Stdout();
    EXPECT_NE(out.find("us-east"), std::string::npos) << out;
    EXPECT_NE(out.find("0.090000"), std::string::npos) << out;  // 15 requests, $0.006 each
    EXPECT_NE(out.find("region ap-south: as of"), std::string::npos) << out;
  }

  // Kill us-c: the others mark it dead; what it spent stays in their view.
  const int64_t first_generation = Members(c.node(0))["us-c"].second;
  Totals us_c_local = *SpendByTeam(c.node(2), "local");
  c.Kill(2);
  ASSERT_TRUE(WaitFor([&] {
    for (size_t i : {0, 1, 3, 4}) {
      if (Members(c.node(i))["us-c"].first != "dead") return false;
    }
    return true;
  })) << Describe(c);
  EXPECT_TRUE(c.Converged({{2, us_c_local}})) << Describe(c);
  {
    rapidjson::Document doc = ParseJson(Admin(c.node(4), "/admin/spend?scope=global"));
    const rapidjson::Value* r = JsonAt(doc, "regions.us-east.reachable");
    ASSERT_TRUE(r != nullptr && r->IsBool());
    EXPECT_FALSE(r->GetBool());  // one of its nodes is gone
  }

  // Restart it: a new generation, its counters continue from its ledger, never doubled.
  c.Start(2);
  ASSERT_TRUE(c.node(2).ok()) << c.node(2).process().Stderr();
  EXPECT_EQ(*SpendByTeam(c.node(2), "local"), us_c_local);
  ASSERT_TRUE(WaitFor([&] {
    for (size_t i = 0; i < c.size(); ++i) {
      auto m = Members(c.node(i))["us-c"];
      if (m.first != "alive" || m.second <= first_generation) return false;
    }
    return true;
  })) << Describe(c);
  ASSERT_TRUE(Chat(c.node(2), "ads")->status == 200);
  ASSERT_TRUE(WaitFor([&] { return c.Converged(); })) << Describe(c);
  EXPECT_EQ((*SpendByTeam(c.node(0), "global"))["ads"].first +
                (*SpendByTeam(c.node(0), "global"))["search"].first,
            16);

  // Partition eu-b (the blocking switch) for 30 s under traffic on both sides, then heal.
  std::FILE* block = std::fopen(c.BlockFile(1).c_str(), "w");
  ASSERT_NE(block, nullptr);
  std::fclose(block);
  const auto cut = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] {
    return Members(c.node(0))["eu-b"].first != "alive" &&
           Members(c.node(1))["eu-a"].first != "alive";
  })) << Describe(c);
  int pairs = 0;
  do {
    ASSERT_EQ(Chat(c.node(1), "search")->status, 200);
    ASSERT_EQ(Chat(c.node(3), "ads")->status, 200);
    ++pairs;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a request rate, not a wait
  } while (std::chrono::steady_clock::now() - cut < std::chrono::seconds(30));
  EXPECT_FALSE(c.Converged());  // eu-b's new spend cannot reach the others, nor theirs it
  std::filesystem::remove(c.BlockFile(1));
  const auto healed = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return c.Converged(); })) << Describe(c);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - healed)
                      .count();
  std::printf("federation: converged %lld ms after a 30 s partition healed (interval 150 ms)\n",
              static_cast<long long>(ms));
  auto g = SpendByTeam(c.node(4), "global");
  EXPECT_EQ((*g)["ads"].first + (*g)["search"].first, 16 + 2 * pairs);  // nothing twice
  EXPECT_GT(Metric(c.node(0), "llm_edge_gossip_frames_total{direction=\"in\",result=\"ok\"}"), 0);
}

TEST(Federation, AWrongKeyNeverJoinsAndAGlobalBudgetHoldsAcrossTwoNodes) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const std::string base = fake.base_url() + "/v1";
  const uint16_t px = FreePort(), py = FreePort(), pz = FreePort();
  // $0.012 across all regions: two requests' worth.
  const std::string capped = "  - {id: capped, key_sha256: \"" + Sha256Hex("sk-capped") +
                             "\", budget_usd_monthly_global: 0.012}\n";
  Cluster c(dir);
  c.Add({"x", "eu-west", px, kGossipKey, capped}, base, {px, py});
  c.Add({"y", "us-east", py, kGossipKey, capped}, base, {px, py});
  c.Add({"intruder", "us-east", pz, "not-the-key", capped}, base, {px, py});
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(c.node(i).ok()) << c.node(i).process().Stderr();
  ASSERT_TRUE(WaitFor([&] {
    return Members(c.node(0))["y"].first == "alive" && Members(c.node(1))["x"].first == "alive";
  })) << Describe(c);

  // The intruder's spend and frames: refused by tag, never a member, never in a total.
  ASSERT_EQ(Chat(c.node(2), "ads")->status, 200);
  ASSERT_TRUE(WaitFor([&] {
    return Metric(c.node(0), "llm_edge_gossip_frames_total{direction=\"in\",result=\"tag\"}") >= 3 &&
           Metric(c.node(1), "llm_edge_gossip_frames_total{direction=\"in\",result=\"tag\"}") >= 3;
  })) << Describe(c);
  for (size_t i : {0, 1}) {
    auto m = Members(c.node(i));
    EXPECT_EQ(m.count("intruder"), 0u);
    EXPECT_EQ(m.size(), 2u);
    auto g = SpendByTeam(c.node(i), "global");
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->empty()) << Describe(c);
  }
  EXPECT_EQ(Members(c.node(2)).size(), 1u);  // it learnt nobody either

  // The global budget: one request on each node fits; then both refuse.
  auto spent_elsewhere = [&](size_t i) {
    return Metric(c.node(i),
                  "llm_edge_budget_remote_spent_micro_usd{kind=\"key\",name=\"capped\"}");
  };
  ASSERT_EQ(Chat(c.node(0), "ads", "sk-capped")->status, 200);
  ASSERT_TRUE(WaitFor([&] { return spent_elsewhere(1) == kRequestMicros; })) << Describe(c);
  ASSERT_EQ(Chat(c.node(1), "ads", "sk-capped")->status, 200);  // 6000 + 0 < 12000
  ASSERT_TRUE(WaitFor([&] { return spent_elsewhere(0) == kRequestMicros; })) << Describe(c);
  for (size_t i : {0, 1}) {
    auto r = Chat(c.node(i), "ads", "sk-capped");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429) << r->body;
    EXPECT_NE(r->body.find("Global monthly budget of key 'capped'"), std::string::npos) << r->body;
    EXPECT_FALSE(r->Header("retry-after").empty());
  }
}

TEST(Federation, AuditVerifyWitnessHoldsThenCatchesALogCutAfterItsHeadWasWitnessed) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const std::string base = fake.base_url() + "/v1";
  const uint16_t p1 = FreePort(), p2 = FreePort();
  Cluster c(dir);
  c.Add({"w1", "eu-west", p1, kGossipKey, "audit: {digest_every: 2, digest_every_s: 1}\n"}, base,
        {p1, p2});
  c.Add({"w2", "us-east", p2, kGossipKey, ""}, base, {p1, p2});
  for (size_t i = 0; i < 2; ++i) ASSERT_TRUE(c.node(i).ok()) << c.node(i).process().Stderr();
  for (int n = 0; n < 6; ++n) ASSERT_EQ(Chat(c.node(0), "ads")->status, 200);
  // w2 has seen the head after the sixth record and a digest covering it.
  ASSERT_TRUE(WaitFor([&] {
    rapidjson::Document doc = ParseJson(Admin(c.node(1), "/admin/witness?node=w1"));
    if (doc.HasParseError() || !doc.HasMember("heads")) return false;
    bool head6 = false;
    for (const auto& h : doc["heads"].GetArray()) head6 = head6 || JsonInt(h, "seq") == 6;
    return head6 && doc["digests"].GetArray().Size() > 0;
  })) << Admin(c.node(1), "/admin/witness?node=w1");

  const std::string data = c.node(0).work_dir() + "/data";
  const std::string witness = "http://127.0.0.1:" + std::to_string(c.node(1).admin_port());
  auto verify = [&](const std::string& name) {
    Process p({BinaryPath(), "audit", "verify", "--data-dir", data, "--witness", witness,
               "--admin-key", kAdminKey},
              dir.path(), name);
    std::optional<int> code = p.Wait(std::chrono::seconds(60));
    return std::make_pair(code.value_or(-1), p.Stdout() + p.Stderr());
  };
  c.node(0).process().Signal(SIGTERM);
  ASSERT_EQ(c.node(0).process().Wait(std::chrono::seconds(30)), std::optional<int>(0));
  auto [ok_code, ok_out] = verify("verify-ok");
  EXPECT_EQ(ok_code, 0) << ok_out;
  EXPECT_NE(ok_out.find("witness: OK"), std::string::npos) << ok_out;

  // Rewrite history: cut records 4.. and every digest that covers them. The log alone still
  // verifies (what is cut from the end leaves no trace); the witness does not agree.
  {
    auto store = ledger::Store::Open(data + "/ledger", {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    rocksdb::WriteBatch batch;
    auto* audit = (*store)->Handle(ledger::Family::kAudit);
    auto* digests = (*store)->Handle(ledger::Family::kAuditDigests);
    for (uint64_t seq = 4; seq <= 64; ++seq) {
      ASSERT_TRUE(batch.Delete(audit, ledger::AuditRecordKey(seq)).ok());
    }
    for (uint64_t d = 1; d <= 64; ++d) {
      auto line = (*store)->Get(ledger::Family::kAuditDigests, ledger::AuditDigestKey(d));
      ASSERT_TRUE(line.ok());
      if (!line->has_value()) continue;
      auto digest = ledger::DecodeDigestLine(**line);
      ASSERT_TRUE(digest.ok());
      if (digest->digest.last_seq >= 4) {
        ASSERT_TRUE(batch.Delete(digests, ledger::AuditDigestKey(d)).ok());
      }
    }
    ASSERT_TRUE((*store)->Write(batch, true).ok());
  }
  {
    Process alone({BinaryPath(), "audit", "verify", "--data-dir", data}, dir.path(), "alone");
    EXPECT_EQ(alone.Wait(std::chrono::seconds(60)), std::optional<int>(0)) << alone.Stdout();
  }
  auto [bad_code, bad_out] = verify("verify-cut");
  EXPECT_EQ(bad_code, 1) << bad_out;
  EXPECT_NE(bad_out.find("witness: FAILED: record"), std::string::npos) << bad_out;
  EXPECT_NE(bad_out.find("is missing"), std::string::npos) << bad_out;
  EXPECT_NE(bad_out.find(witness), std::string::npos) << bad_out;
}

// Bytes that are not frames reach the gossip port: each connection is dropped and counted by
// reason, and the node goes on gossiping and serving.
TEST(Federation, MalformedFramesAreDroppedCountedAndHarmless) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  const uint16_t p1 = FreePort(), p2 = FreePort();
  Cluster c(dir);
  c.Add({"m1", "eu-west", p1, kGossipKey, ""}, fake.base_url() + "/v1", {p1, p2});
  c.Add({"m2", "us-east", p2, kGossipKey, ""}, fake.base_url() + "/v1", {p1, p2});
  ASSERT_TRUE(c.node(0).ok() && c.node(1).ok());
  auto send_raw = [&](const std::string& bytes) {
    auto conn = Connection::Open(p1);
    ASSERT_TRUE(conn);
    conn->Send(bytes);
  };
  // A length prefix over the 1 MiB limit; one under the minimum; a well-sized frame whose tag
  // no key made; a frame of an unknown version.
  send_raw(std::string("\x7f\xff\xff\xff", 4) + "garbage");
  send_raw(std::string("\x00\x00\x00\x02\x01\x00", 6));
  std::string unsigned_frame = std::string("\x00\x00\x00\x30\x01", 5) + std::string(47, 'x');
  send_raw(unsigned_frame);
  std::string v9 = unsigned_frame;
  v9[4] = 9;
  send_raw(v9);
  auto dropped = [&](const char* reason) {
    return Metric(c.node(0), std::string("llm_edge_gossip_frames_total{direction=\"in\",result=\"") +
                                 reason + "\"}");
  };
  ASSERT_TRUE(WaitFor([&] { return dropped("size") >= 2 && dropped("tag") >= 1 && dropped("version") >= 1; }))
      << Admin(c.node(0), "/metrics");
  EXPECT_NE(c.node(0).process().Stderr().find("gossip frame dropped"), std::string::npos);
  // Still a federation, still serving.
  ASSERT_EQ(Chat(c.node(0), "ads")->status, 200);
  ASSERT_TRUE(WaitFor([&] { return c.Converged(); })) << Describe(c);
  EXPECT_EQ(Members(c.node(1))["m1"].first, "alive");
}

// federation.tls: mutual TLS on the gossip port. Peers of the same CA gossip; a node whose
// certificate another CA signed never joins, though it has the right key.
TEST(Federation, MutualTlsAdmitsPeersOfTheCaOnly) {
  TempDir dir;
  const std::string certs = dir.path() + "/certs";
  ASSERT_EQ(std::system(("sh " + SourceDir() + "/tests/certs/make_test_certs.sh " + certs +
                         " >/dev/null 2>&1").c_str()),
            0);
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok());
  auto tls = [&](const std::string& leaf, const std::string& ca) {
    return "  tls: {cert: " + certs + "/" + leaf + ".crt, key: " + certs + "/" + leaf +
           ".key, ca: " + certs + "/" + ca + ".crt}\n";
  };
  const uint16_t p1 = FreePort(), p2 = FreePort(), p3 = FreePort();
  Cluster c(dir);
  c.Add({"t1", "eu-west", p1, kGossipKey, "", tls("peer", "ca")}, fake.base_url() + "/v1", {p1, p2});
  c.Add({"t2", "us-east", p2, kGossipKey, "", tls("peer", "ca")}, fake.base_url() + "/v1", {p1, p2});
  c.Add({"t3", "us-east", p3, kGossipKey, "", tls("other-peer", "other-ca")},
        fake.base_url() + "/v1", {p1, p2});
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(c.node(i).ok()) << c.node(i).process().Stderr();
  ASSERT_EQ(Chat(c.node(0), "ads")->status, 200);
  ASSERT_TRUE(WaitFor([&] {
    auto g = SpendByTeam(c.node(1), "global");
    return Members(c.node(1))["t1"].first == "alive" && g && (*g)["ads"].first == 1;
  })) << Describe(c);
  // t3 dialled both and failed its handshakes; it is nobody's member.
  ASSERT_TRUE(WaitFor([&] {
    return Metric(c.node(2), "llm_edge_gossip_connections_total{event=\"connect_failed\"}") >= 2;
  })) << c.node(2).process().Stderr();
  for (size_t i : {0, 1}) EXPECT_EQ(Members(c.node(i)).count("t3"), 0u);
  EXPECT_EQ(Members(c.node(2)).size(), 1u);
}

}  // namespace
}  // namespace edge::e2e
