// Issue 9's property test, end to end: 100,000 randomized requests through real nodes, one per
// routing strategy, in front of fake providers standing for EU and US endpoints, while faults
// and cooldowns come and go. Random keys (with and without residency), callers on both sides
// of the border behind a trusted proxy (X-Forwarded-For, Forwarded, v4 and v6, spoofed and
// malformed hops), random X-Edge-Residency. Properties:
//   - no pinned request ever reaches a fake outside its jurisdiction: each request carries a
//     marker in its prompt that the fakes count on arrival (/_fake/markers), so this is the
//     fakes' word, not the node's headers;
//   - each pinned request gets a compliant answer (200 from a deployment of its jurisdiction)
//     or the 503 naming the jurisdiction and the model; refusals (400/403) are the exact ones
//     docs/residency.md promises, and X-Edge-Jurisdiction says what the rules decide;
//   - `llm-edge audit residency` over each node's store counts what the client saw
//     (pinned / served_in / refused, violations=0), and `audit verify` is OK.
// EDGE_RESIDENCY_PROPERTY_REQUESTS changes the number of requests (100,000 take ~35 s in the
// Release build and ~80 s in the ASan build on 2 busy cores); EDGE_RESIDENCY_PROPERTY_SEED
// replays a run (the seed is printed).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

const std::string kTestDb = std::string(EDGE_GEO_TEST_DIR) + "/geoip2-country.mmdb";

constexpr const char* kStrategies[] = {"latency-based-routing", "simple-shuffle",
                                       "cost-based-routing", "least-busy", "usage-based-routing"};
constexpr int kNodes = 5;
constexpr int kEuFakes = 3, kUsFakes = 2;
constexpr int kClientThreads = 48;
// Faults change every kFaultStep finished requests; one step in ten every EU fake fails.
constexpr int kFaultStep = 250;

// A virtual key: its residency ("" = none) and how often the run uses it (weights).
struct KeySpec {
  const char* id;
  const char* secret;
  const char* residency;
  int weight;
};
constexpr KeySpec kKeys[] = {
    {"free-a", "sk-prop-free-a", "", 35}, {"free-b", "sk-prop-free-b", "", 25},
    {"eu-key", "sk-prop-eu", "EU", 25},   {"us-key", "sk-prop-us", "US", 10},
    {"jp-key", "sk-prop-jp", "JP", 5},
};

// Callers as a trusted proxy reports them (geo/testdata/make_test_mmdb.pl's networks). ""
// = the proxy sent no forwarding header: the caller is the peer, 127.0.0.1, in no database.
struct CallerSpec {
  const char* ip;
  const char* jurisdiction;  // "" = cannot be placed: the node's jurisdiction decides
};
constexpr CallerSpec kCallers[] = {
    {"85.214.3.4", "EU"},     {"85.214.200.17", "EU"},    {"2a01:4f8::17", "EU"},
    {"2.0.5.6", "EU"},        {"2a01:cb00::9", "EU"},     {"203.0.113.7", "EU"},  // NL, registered
    {"8.8.8.8", "US"},        {"8.8.8.200", "US"},        {"2001:4860::8888", "US"},
    {"133.5.6.7", "JP"},      {"2001:200::1", "JP"},      {"192.0.2.33", ""},  // no country
    {"10.9.8.7", ""},         {"", ""},
};

// Model aliases: `mini` falls back to `chat`; `us-only` has nothing in the EU.
struct Dep {
  const char* alias;
  const char* id;
  const char* jurisdiction;
  int fake;  // index into the fakes: EU ones first
  double input_price;
};
constexpr Dep kDeps[] = {
    {"chat", "chat-eu0", "EU", 0, 0.0000010}, {"chat", "chat-eu1", "EU", 1, 0.0000020},
    {"chat", "chat-us0", "US", 3, 0.0000005}, {"chat", "chat-us1", "US", 4, 0.0000030},
    {"mini", "mini-eu2", "EU", 2, 0.0000001}, {"mini", "mini-us0", "US", 3, 0.0000002},
    {"us-only", "usonly-us1", "US", 4, 0.0000010},
};
constexpr const char* kAliases[] = {"chat", "chat", "chat", "chat", "chat", "chat",
                                    "mini", "mini", "mini", "us-only"};

bool IsPinned(const std::string& j) { return j == "EU" || j == "JP"; }
const char* NodeJurisdiction(int node) { return node % 2 == 0 ? "EU" : "US"; }

std::string NodeConfig(int node, const std::vector<std::unique_ptr<FakeOpenAI>>& fakes) {
  std::string models;
  for (const Dep& d : kDeps) {
    models += std::string("  - model_name: ") + d.alias +
              "\n    litellm_params: {model: openai/gpt-4o-mini, api_key: sk-up, api_base: \"" +
              fakes[d.fake]->base_url() + "/v1\"}\n    model_info: {id: " + d.id +
              ", jurisdiction: " + d.jurisdiction + ", input_cost_per_token: " +
              std::to_string(d.input_price) + ", output_cost_per_token: 0.000004}\n";
  }
  std::string keys;
  for (const KeySpec& k : kKeys) {
    keys += std::string("  - {id: ") + k.id + ", key_sha256: \"" + Sha256Hex(k.secret) + "\"" +
            (*k.residency ? std::string(", residency: ") + k.residency : "") + "}\n";
  }
  return std::string("node: {id: prop-") + std::to_string(node) + ", region: r" +
         std::to_string(node) + ", jurisdiction: " + NodeJurisdiction(node) +
         ", listen: \"127.0.0.1:0\", admin_listen: \"127.0.0.1:0\", data_dir: ./data, "
         "workers: 2}\n"
         "geo: {database: \"" + kTestDb + "\", trusted_proxies: [\"127.0.0.1/32\"]}\n"
         "jurisdictions:\n"
         "  EU: {countries: [DE, FR, NL], pinned: true}\n"
         "  US: {countries: [US]}\n"
         "  JP: {countries: [JP], pinned: true}\n"
         "router_settings:\n"
         "  routing_strategy: " + kStrategies[node] + "\n"
         "  num_retries: 2\n"
         "  allowed_fails: 2\n"
         "  cooldown_time: 1\n"
         "  fallbacks: [{mini: [chat]}]\n"
         "model_list:\n" + models + "keys:\n" + keys +
         "admin: {key_sha256: \"" + Sha256Hex(kAdminKey) + "\"}\n";
}

// One request of the run and what the rules say about it.
struct Plan {
  int node = 0;
  const KeySpec* key = nullptr;
  std::map<std::string, std::string> headers;
  std::string alias;
  // Expected: the status when it is fixed (400, 403, 503), else 0; the jurisdiction and its
  // source as X-Edge-Jurisdiction reports them.
  int fixed_status = 0;
  std::string jurisdiction, source;
};

template <typename T, size_t N>
const T& Weighted(const T (&items)[N], std::mt19937_64& rng) {
  int total = 0;
  for (const T& t : items) total += t.weight;
  int r = static_cast<int>(rng() % total);
  for (const T& t : items) {
    if ((r -= t.weight) < 0) return t;
  }
  return items[N - 1];
}

Plan MakePlan(std::mt19937_64& rng) {
  Plan p;
  p.node = static_cast<int>(rng() % kNodes);
  p.key = &Weighted(kKeys, rng);
  p.alias = kAliases[rng() % std::size(kAliases)];
  p.headers = {{"Authorization", std::string("Bearer ") + p.key->secret},
               {"Content-Type", "application/json"}};

  // Where the trusted proxy says the caller is, and how it says it.
  const CallerSpec& caller = kCallers[rng() % std::size(kCallers)];
  std::string ip = caller.ip;
  std::string placed = caller.jurisdiction;
  bool v6 = ip.find(':') != std::string::npos;
  if (!ip.empty()) {
    switch (rng() % 6) {
      case 0: p.headers["X-Forwarded-For"] = ip; break;
      case 1:  // what the client wrote itself sits left of what the proxy appended
        p.headers["X-Forwarded-For"] = "133.1.1.1, 8.8.8.8, " + ip; break;
      case 2:  // a chain of trusted proxies: the walk passes 127.0.0.1
        p.headers["X-Forwarded-For"] = ip + ", 127.0.0.1"; break;
      case 3: p.headers["Forwarded"] = v6 ? "for=\"[" + ip + "]\"" : "for=" + ip; break;
      case 4:  // Forwarded wins over X-Forwarded-For; ports and other parameters are skipped
        p.headers["Forwarded"] = (v6 ? "for=\"[" + ip + "]:4711\"" : "for=\"" + ip + ":4711\"") +
                                 ";proto=https, for=127.0.0.1";
        p.headers["X-Forwarded-For"] = "8.8.8.8";
        break;
      default:  // a hop the node cannot read ends the walk: the caller is not placed
        p.headers["X-Forwarded-For"] = ip + ", not-an-address";
        placed = "";
        break;
    }
  }
  if (!*p.key->residency && placed.empty()) {
    p.jurisdiction = NodeJurisdiction(p.node);
    p.source = "node";
  } else if (*p.key->residency) {
    p.jurisdiction = p.key->residency;
    p.source = "key";
  } else {
    p.jurisdiction = placed;
    p.source = "ip";
  }

  // X-Edge-Residency: narrows an unpinned caller, never moves a pinned one (403), unknown 400.
  static constexpr const char* kWanted[] = {"EU", "EU", "EU", "US", "US", "JP", "MARS", ""};
  if (rng() % 4 == 0) {
    std::string wanted = kWanted[rng() % std::size(kWanted)];
    p.headers["X-Edge-Residency"] = wanted;
    if (wanted.empty() || wanted == p.jurisdiction) {
      // changes nothing
    } else if (wanted == "MARS") {
      p.fixed_status = 400;
    } else if (IsPinned(p.jurisdiction)) {
      p.fixed_status = 403;
    } else {
      p.jurisdiction = wanted;
      p.source = "header";
    }
  }
  // Pinned with nowhere to go: refused with nothing sent.
  if (p.fixed_status == 0 && IsPinned(p.jurisdiction) &&
      (p.jurisdiction == "JP" || p.alias == "us-only")) {
    p.fixed_status = 503;
  }
  return p;
}

// What came back, kept for the checks after the run.
struct Seen {
  int status = 0;
  std::string deployment;
};

// Per node and pinned jurisdiction, as `audit residency` counts them.
struct Counts {
  long pinned = 0, served_in = 0, refused = 0;
};

const Dep* FindDep(const std::string& id) {
  for (const Dep& d : kDeps) {
    if (id == d.id) return &d;
  }
  return nullptr;
}

std::string Marker(size_t i) {
  char m[24];
  std::snprintf(m, sizeof m, "r%zu", i);
  return m;
}

std::string Body(const std::string& alias, size_t i) {
  return R"({"model":")" + alias + R"(","max_tokens":5,"messages":[{"role":"user","content":"edge-marker:)" +
         Marker(i) + R"( hello edge"}]})";
}

// The checks on one answer that need its body and headers; "" when it is what the plan says.
std::string CheckAnswer(const Plan& p, const Response& r) {
  auto bad = [&](const std::string& why) {
    return why + " (status " + std::to_string(r.status) + ", key " + p.key->id + ", alias " +
           p.alias + ", expected " + p.jurisdiction + "; source=" + p.source + "): " +
           r.body.substr(0, 300);
  };
  if (r.Header("x-edge-request-id").empty()) return bad("no X-Edge-Request-Id");
  const bool pinned = IsPinned(p.jurisdiction);
  if (p.fixed_status != 0) {
    if (r.status != p.fixed_status) return bad("expected " + std::to_string(p.fixed_status));
    const char* code = p.fixed_status == 400   ? "invalid_residency"
                       : p.fixed_status == 403 ? "residency_conflict"
                                               : "residency_unavailable";
    if (r.body.find(code) == std::string::npos) return bad(std::string("no ") + code);
    if (p.fixed_status == 503 &&
        r.body.find("'" + p.alias + "' is hosted in " + p.jurisdiction) == std::string::npos) {
      return bad("the 503 does not name the model and the jurisdiction");
    }
    return "";
  }
  if (r.status == 200) {
    std::string want = p.jurisdiction + "; source=" + p.source;
    if (r.Header("x-edge-jurisdiction") != want) {
      return bad("X-Edge-Jurisdiction " + r.Header("x-edge-jurisdiction"));
    }
    const Dep* d = FindDep(r.Header("x-edge-deployment"));
    if (d == nullptr) return bad("unknown deployment " + r.Header("x-edge-deployment"));
    if (pinned && p.jurisdiction != d->jurisdiction) return bad("served outside");
    return "";
  }
  if (pinned) {
    if (r.status != 503) return bad("a pinned request failed with other than 503");
    if (r.body.find("'" + p.alias + "'") == std::string::npos ||
        r.body.find(" in " + p.jurisdiction + ",") == std::string::npos) {
      return bad("the 503 does not name the model and the jurisdiction");
    }
    return "";
  }
  // Unpinned requests may fail as their upstream did (docs/routing.md "Failures").
  if (r.status != 429 && r.status != 502 && r.status != 503 && r.status != 504) {
    return bad("unexpected status");
  }
  return "";
}

bool SetFault(const FakeProvider& fake, const std::string& switches) {
  auto r = Request(fake.port(), "POST", "/_fake/fault", {}, switches);
  return r && r->status == 200;
}

long EnvLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v ? std::atol(v) : fallback;
}

// The sum of every series of `metric` in a node's /metrics.
long MetricSum(const Node& node, const std::string& metric) {
  auto r = Request(node.admin_port(), "GET", "/metrics",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}});
  if (!r) return -1;
  long sum = 0;
  size_t pos = 0;
  while ((pos = r->body.find(metric, pos)) != std::string::npos) {
    bool line_start = pos == 0 || r->body[pos - 1] == '\n';
    size_t eol = r->body.find('\n', pos);
    std::string line = r->body.substr(pos, eol - pos);
    pos = eol == std::string::npos ? r->body.size() : eol;
    if (!line_start || (line[metric.size()] != '{' && line[metric.size()] != ' ')) continue;
    sum += std::atol(line.substr(line.rfind(' ') + 1).c_str());
  }
  return sum;
}

std::pair<int, std::string> Audit(const TempDir& dir, std::vector<std::string> args,
                                  const std::string& name) {
  args.insert(args.begin(), {BinaryPath(), "audit"});
  Process p(args, dir.path(), name);
  std::optional<int> code = p.Wait(120s);
  return {code.value_or(-1), p.Stdout() + p.Stderr()};
}

TEST(ResidencyProperty, NoPinnedRequestEverLeavesItsJurisdictionAndTheAuditLogAgrees) {
  const size_t total = static_cast<size_t>(EnvLong("EDGE_RESIDENCY_PROPERTY_REQUESTS", 100000));
  const uint64_t seed = static_cast<uint64_t>(
      EnvLong("EDGE_RESIDENCY_PROPERTY_SEED", std::random_device{}() & 0x7fffffff));
  std::printf("residency property: %zu requests, seed %llu (EDGE_RESIDENCY_PROPERTY_SEED)\n",
              total, static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));

  TempDir dir;
  std::vector<std::unique_ptr<FakeOpenAI>> fakes;
  for (int i = 0; i < kEuFakes + kUsFakes; ++i) {
    fakes.push_back(std::make_unique<FakeOpenAI>(dir));
    ASSERT_TRUE(fakes.back()->ok());
  }
  std::vector<std::unique_ptr<Node>> nodes;
  for (int n = 0; n < kNodes; ++n) {
    nodes.push_back(std::make_unique<Node>(dir, NodeConfig(n, fakes), "node" + std::to_string(n)));
    ASSERT_TRUE(nodes.back()->ok()) << nodes.back()->process().Stderr();
  }

  // Plans are drawn up front from the seed, so a run replays whatever the threads' timing.
  std::vector<Plan> plans(total);
  {
    std::mt19937_64 rng(seed);
    for (Plan& p : plans) p = MakePlan(rng);
  }
  std::vector<Seen> seen(total);
  std::mutex failures_mu;
  std::vector<std::string> failures;
  std::atomic<size_t> next{0}, done{0};
  std::atomic<long> fault_changes{0}, blackouts{0};

  // Faults follow the run's progress, not the clock: every kFaultStep finished requests one
  // fake changes how it fails; one step in ten every EU fake fails at once, the next one
  // they all recover.
  auto change_faults = [&](size_t step) {
    static constexpr const char* kSwitches[] = {"", "", "", "", "529", "500", "503",
                                                "429", "reset", "slow=3"};
    std::mt19937_64 frng(seed ^ (step * 0x9e3779b97f4a7c15ULL));
    if (step % 10 == 3) {
      for (int f = 0; f < kEuFakes; ++f) SetFault(*fakes[f], f % 2 ? "529" : "500");
      ++blackouts;
    } else if (step % 10 == 4) {
      for (auto& f : fakes) SetFault(*f, "");
    } else {
      SetFault(*fakes[frng() % fakes.size()], kSwitches[frng() % std::size(kSwitches)]);
    }
    ++fault_changes;
  };

  auto client = [&] {
    std::vector<std::unique_ptr<Connection>> conns(kNodes);
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= total) return;
      const Plan& p = plans[i];
      std::string bytes = RequestBytes("POST", "/v1/chat/completions", p.headers, Body(p.alias, i));
      std::optional<Response> r;
      for (int tries = 0; tries < 2 && !r; ++tries) {  // a keep-alive connection may have closed
        auto& c = conns[p.node];
        if (!c) c = Connection::Open(nodes[p.node]->port());
        if (c && c->Send(bytes)) r = c->ReadResponse(60s);
        if (!r) c.reset();
      }
      std::string why = r ? CheckAnswer(p, *r) : std::string("no answer");
      if (r) {
        seen[i] = {r->status, r->Header("x-edge-deployment")};
        if (r->Header("connection") == "close") conns[p.node].reset();
      }
      if (!why.empty()) {
        std::lock_guard lock(failures_mu);
        failures.push_back("request " + std::to_string(i) + ": " + why);
      }
      size_t finished = done.fetch_add(1) + 1;
      if (finished % kFaultStep == 0) change_faults(finished / kFaultStep);
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kClientThreads; ++t) threads.emplace_back(client);
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("residency property: %zu requests in %.1f s (%.0f/s), %ld fault changes\n", total,
              seconds, total / seconds, fault_changes.load());
  for (auto& f : fakes) SetFault(*f, "");

  ASSERT_TRUE(failures.empty()) << failures.size() << " wrong answers, the first: "
                                << failures.front();

  // The fakes' own word: which requests reached which jurisdiction.
  std::vector<std::map<std::string, long>> markers(fakes.size());
  for (size_t f = 0; f < fakes.size(); ++f) {
    auto r = Request(fakes[f]->port(), "GET", "/_fake/markers");
    ASSERT_TRUE(r && r->status == 200);
    rapidjson::Document doc = ParseJson(r->body);
    ASSERT_TRUE(doc.IsObject());
    // By index: C++20 finds RapidJSON's iterator comparisons ambiguous (clang warns).
    for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
      const auto& member = doc.MemberBegin()[i];
      markers[f][member.name.GetString()] = member.value.GetInt64();
    }
  }
  auto reached = [&](size_t i, int first_fake, int end_fake) {
    long n = 0;
    for (int f = first_fake; f < end_fake; ++f) {
      auto it = markers[f].find(Marker(i));
      if (it != markers[f].end()) n += it->second;
    }
    return n;
  };
  std::vector<std::map<std::string, Counts>> client_counts(kNodes);
  long pinned_served = 0, pinned_503 = 0, unpinned_in_us = 0, violations = 0;
  std::string first_violation;
  for (size_t i = 0; i < total; ++i) {
    const Plan& p = plans[i];
    const long eu = reached(i, 0, kEuFakes), us = reached(i, kEuFakes, kEuFakes + kUsFakes);
    auto violation = [&](const std::string& why) {
      if (violations++ == 0) first_violation = "request " + std::to_string(i) + ": " + why;
    };
    if (p.fixed_status != 0 && eu + us != 0) violation("refused, yet an upstream saw it");
    if (seen[i].status == 200) {
      const Dep* d = FindDep(seen[i].deployment);
      if (reached(i, d->fake, d->fake + 1) == 0) violation("its deployment's fake never saw it");
    }
    if (!IsPinned(p.jurisdiction)) {
      unpinned_in_us += us > 0;
      continue;
    }
    if (p.jurisdiction == "EU" && us != 0) violation("pinned EU, reached a US fake");
    if (p.jurisdiction == "JP" && eu + us != 0) violation("pinned JP, reached a fake");
    Counts& c = client_counts[p.node][p.jurisdiction];
    ++c.pinned;
    if (seen[i].status == 200) {
      ++c.served_in;
      ++pinned_served;
    } else {
      ++c.refused;
      pinned_503 += seen[i].status == 503 && p.fixed_status == 0;
    }
  }
  EXPECT_EQ(violations, 0) << first_violation;
  // The run exercised what it claims to: pinned requests served and refused for failures,
  // unpinned ones in the US, faults and cooldowns.
  EXPECT_GT(pinned_served, 0);
  EXPECT_GT(pinned_503, 0);
  EXPECT_GT(unpinned_in_us, 0);
  EXPECT_GT(blackouts.load(), 0);
  long cooldowns = 0;
  for (auto& n : nodes) cooldowns += MetricSum(*n, "llm_edge_cooldowns_total");
  EXPECT_GT(cooldowns, 0);
  std::printf("residency property: pinned served %ld, pinned 503 after failures %ld, cooldowns %ld\n",
              pinned_served, pinned_503, cooldowns);

  // The audit log of each node, read after a clean stop (the last digest is written then).
  for (int n = 0; n < kNodes; ++n) {
    SCOPED_TRACE(kStrategies[n]);
    nodes[n]->process().Signal(SIGTERM);
    ASSERT_EQ(nodes[n]->process().Wait(60s), std::optional<int>(0))
        << nodes[n]->process().Stderr();
    const std::string data = nodes[n]->work_dir() + "/data";
    auto [vcode, vout] = Audit(dir, {"verify", "--data-dir", data}, "verify" + std::to_string(n));
    EXPECT_EQ(vcode, 0) << vout;
    EXPECT_TRUE(vout.starts_with("OK")) << vout;
    auto [rcode, rout] =
        Audit(dir, {"residency", "--data-dir", data}, "residency" + std::to_string(n));
    EXPECT_EQ(rcode, 0) << rout;
    std::string want;
    for (const auto& [j, c] : client_counts[n]) {
      want += j + " pinned=" + std::to_string(c.pinned) + " served_in=" +
              std::to_string(c.served_in) + " refused=" + std::to_string(c.refused) +
              " violations=0\n";
    }
    EXPECT_EQ(rout, want);
  }
}

}  // namespace
}  // namespace edge::e2e
