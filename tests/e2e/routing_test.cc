// The router through a real node and fake providers (docs/routing.md): cooldowns keep
// traffic off a failing primary, latency routing finds the faster deployment, weights split
// traffic, cost / least-busy / usage-based do what they say, the capability filter and
// context-window fallbacks, the retry budget when everything is down, and residency on every
// retry. Each fake stands for one deployment, so its request count is that deployment's.
// Many requests go over one keep-alive connection to keep the run short.

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <thread>
#include <vector>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

// One deployment item at `fake`, with its id given (so the test can name it) and extra
// `litellm_params` / `model_info` flow members.
std::string Item(const std::string& alias, const std::string& id, const FakeProvider& fake,
                 const std::string& params = "", const std::string& info = "",
                 const std::string& jurisdiction = "EU") {
  return "  - model_name: " + alias + "\n"
         "    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" + fake.base_url() +
         "/v1\", api_key: sk-up" + (params.empty() ? "" : ", " + params) + "}\n"
         "    model_info: {id: " + id + ", jurisdiction: " + jurisdiction +
         (info.empty() ? "" : ", " + info) + "}\n";
}

bool SetFault(const FakeProvider& fake, const std::string& switches) {
  auto r = Request(fake.port(), "POST", "/_fake/fault", {}, switches);
  return r && r->status == 200;
}

// A running node in front of `n` fakes.
struct Stage {
  TempDir dir;
  std::vector<std::unique_ptr<FakeOpenAI>> fakes;
  std::unique_ptr<Node> node;

  explicit Stage(int n) {
    for (int i = 0; i < n; ++i) fakes.push_back(std::make_unique<FakeOpenAI>(dir));
  }
  // "" when everything runs.
  std::string Start(const std::string& models, const std::string& router) {
    for (auto& f : fakes) {
      if (!f->ok()) return "a fake did not start: " + f->process().Stderr();
    }
    // TestConfig's second key names `embed`; nothing here calls it.
    node = std::make_unique<Node>(dir, TestConfig(models + Item("embed", "embed", fake(0))) +
                                           "router_settings:\n" + router);
    return node->ok() ? "" : "the node did not start: " + node->process().Stderr();
  }
  FakeProvider& fake(int i) { return *fakes[static_cast<size_t>(i)]; }

  std::string Admin(const std::string& path) {
    auto r = Request(node->admin_port(), "GET", path,
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
    return r && r->status == 200 ? r->body : "";
  }
  // A counter of GET /metrics with these labels, or -1.
  long Metric(const std::string& series) {
    std::string text = "\n" + Admin("/metrics");
    size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stol(text.substr(at + series.size() + 2));
  }
};

// Requests over one keep-alive connection (a new one if the node closed it).
class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}
  std::optional<Response> Chat(const std::string& model, const std::string& body = "") {
    for (int tries = 0; tries < 2; ++tries) {
      if (conn_ == nullptr) conn_ = Connection::Open(port_);
      if (conn_ == nullptr) return std::nullopt;
      if (conn_->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   body.empty() ? ChatBody(model, false) : body))) {
        auto r = conn_->ReadResponse(30s);
        if (r) {
          if (r->Header("connection") == "close") conn_.reset();
          return r;
        }
      }
      conn_.reset();
    }
    return std::nullopt;
  }

 private:
  uint16_t port_;
  std::unique_ptr<Connection> conn_;
};

// Primary answers 529, then 429 with Retry-After, then resets the connection; the secondary
// answers. Every request succeeds through the secondary, and the primary gets no traffic
// beyond the failures that put it into cooldown and one probe per cooldown that ended.
TEST(Routing, CooldownKeepsAFailingPrimaryOutOfTheWay) {
  Stage s(2);
  ASSERT_EQ(s.Start(Item("m", "primary", s.fake(0), "order: 1") + Item("m", "secondary", s.fake(1), "order: 2"),
                    "  allowed_fails: 2\n  cooldown_time: 1\n  num_retries: 2\n"),
            "");
  Client c(s.node->port());
  int ok = 0;
  const char* phases[] = {"529", "429", "reset"};
  const char* outcomes[] = {"retryable_status", "retryable_status", "connect_error"};
  for (int phase = 0; phase < 3; ++phase) {
    if (phase > 0) {
      // Until the cooldown ends (1 s, or the 429's Retry-After of 1 s): the next request is
      // the probe, and meets this phase's failure.
      bool probing = false;
      for (int wait = 0; wait < 600 && !probing; ++wait) {
        auto routes = ParseJson(s.Admin("/admin/routes"));
        probing = !routes.HasParseError() && JsonString(routes, "deployments.0.id") == "primary" &&
                  JsonString(routes, "deployments.0.state") == "probing";
        if (!probing) std::this_thread::sleep_for(10ms);
      }
      ASSERT_TRUE(probing) << s.Admin("/admin/routes");
    }
    ASSERT_TRUE(SetFault(s.fake(0), phases[phase]));
    const std::string outcome_series = std::string("llm_edge_upstream_attempts_total{deployment=\"primary\",outcome=\"") +
                                       outcomes[phase] + "\"}";
    long failures_before = s.Metric(outcome_series);
    for (int i = 0; i < (phase == 2 ? 334 : 333); ++i) {
      auto r = c.Chat("m");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << phases[phase] << " " << r->body;
      ASSERT_EQ(r->Header("x-edge-deployment"), "secondary");
      ASSERT_LE(std::stoi(r->Header("x-edge-attempts")), 2);
      ++ok;
    }
    EXPECT_GT(s.Metric(outcome_series), failures_before) << phases[phase];
    if (phase == 0) {
      // The router's view: the primary is out (cooling down, or due for its probe).
      std::string routes = s.Admin("/admin/routes");
      EXPECT_TRUE(routes.find("\"state\":\"cooling_down\",\"cooldown_until\":") != std::string::npos ||
                  routes.find("\"state\":\"probing\"") != std::string::npos)
          << routes;
    }
  }
  EXPECT_EQ(ok, 1000);
  long primary = s.fake(0).Stat("requests");
  long cooldowns = s.Metric("llm_edge_cooldowns_total{deployment=\"primary\"}");
  ASSERT_GE(cooldowns, 1);
  // 2 failures opened the first cooldown; after that each request it got was a probe, and
  // each failed probe opened one more cooldown.
  EXPECT_LE(primary, 2 + cooldowns) << "cooldowns: " << cooldowns;
  EXPECT_LT(primary, 100);
  EXPECT_EQ(s.fake(1).Stat("requests"), 1000);
}

// One deployment 50 ms slower: latency routing sends nearly everything to the faster one
// once both are measured; when the slow one recovers, its next re-measurement (within 51
// requests) shows it.
TEST(Routing, LatencyRoutingPrefersTheFasterDeployment) {
  Stage s(2);
  ASSERT_EQ(s.Start(Item("m", "fast", s.fake(0)) + Item("m", "slow", s.fake(1)),
                    "  routing_strategy: latency-based-routing\n"),
            "");
  ASSERT_TRUE(SetFault(s.fake(1), "slow=50"));
  Client c(s.node->port());
  int fast_in_last_100 = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = c.Chat("m");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    if (i >= 200 && r->Header("x-edge-deployment") == "fast") ++fast_in_last_100;
  }
  EXPECT_GT(fast_in_last_100, 90);
  ASSERT_TRUE(SetFault(s.fake(1), ""));
  long slow_before = s.fake(1).Stat("requests");
  for (int i = 0; i < 51; ++i) ASSERT_TRUE(c.Chat("m"));
  EXPECT_GE(s.fake(1).Stat("requests"), slow_before + 1) << "re-measured within 51 requests";
  auto routes = ParseJson(s.Admin("/admin/routes"));
  ASSERT_FALSE(routes.HasParseError());
  const rapidjson::Value* ms = JsonAt(routes, "deployments.1.latency.ms_per_token");
  ASSERT_TRUE(ms != nullptr && ms->IsNumber());
  EXPECT_LT(ms->GetDouble(), 50.0 / 5) << "the recovered deployment's new measurement";
  // Streams are measured by their time to first byte.
  auto stream = c.Chat("m", ChatBody("m", true));
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 200);
  routes = ParseJson(s.Admin("/admin/routes"));
  const std::string id = stream->Header("x-edge-deployment");
  const size_t index = id == "fast" ? 0 : 1;
  const rapidjson::Value* ttfb = JsonAt(routes, "deployments." + std::to_string(index) + ".latency.ttfb_ms");
  ASSERT_TRUE(ttfb != nullptr && ttfb->IsNumber()) << id;
  EXPECT_GE(ttfb->GetDouble(), 0);
}

TEST(Routing, WeightsSplitTraffic) {
  Stage s(2);
  ASSERT_EQ(s.Start(Item("m", "ninety", s.fake(0), "weight: 90") + Item("m", "ten", s.fake(1), "weight: 10"),
                    "  routing_strategy: simple-shuffle\n"),
            "");
  Client c(s.node->port());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(c.Chat("m")->status, 200);
  EXPECT_NEAR(s.fake(0).Stat("requests"), 900, 30);
  EXPECT_NEAR(s.fake(1).Stat("requests"), 100, 30);
}

TEST(Routing, CostBasedPicksTheCheapestHealthyDeployment) {
  Stage s(3);
  ASSERT_EQ(s.Start(Item("m", "dear", s.fake(0), "", "input_cost_per_token: 0.00003") +
                        Item("m", "cheap", s.fake(1), "", "input_cost_per_token: 0.000001") +
                        Item("m", "middle", s.fake(2), "", "input_cost_per_token: 0.00001"),
                    "  routing_strategy: cost-based-routing\n  allowed_fails: 1\n  cooldown_time: 600\n"),
            "");
  Client c(s.node->port());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.Chat("m")->Header("x-edge-deployment"), "cheap");
  EXPECT_EQ(s.fake(0).Stat("requests"), 0);
  EXPECT_EQ(s.fake(2).Stat("requests"), 0);
  // The cheapest fails: the next cheapest takes over, not the dearest.
  ASSERT_TRUE(SetFault(s.fake(1), "500"));
  for (int i = 0; i < 50; ++i) {
    auto r = c.Chat("m");
    ASSERT_TRUE(r) << "no answer";
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("x-edge-deployment"), "middle");
  }
  EXPECT_EQ(s.fake(0).Stat("requests"), 0);
}

// Least-busy: each request goes where the fewest are in flight. Both fakes answer slowly;
// requests are sent one by one, each once the node has the previous in flight.
TEST(Routing, LeastBusySpreadsRequestsInFlight) {
  Stage s(2);
  ASSERT_EQ(s.Start(Item("m", "a", s.fake(0)) + Item("m", "b", s.fake(1)), "  routing_strategy: least-busy\n"), "");
  ASSERT_TRUE(SetFault(s.fake(0), "slow=1500"));
  ASSERT_TRUE(SetFault(s.fake(1), "slow=1500"));
  std::vector<std::unique_ptr<Connection>> open;
  for (int i = 0; i < 6; ++i) {
    open.push_back(Connection::Open(s.node->port()));
    ASSERT_TRUE(open.back()->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("m", false))));
    // Until the node has it in flight (polling the node's own view, not sleeping blindly).
    for (int wait = 0; wait < 500; ++wait) {
      long a = s.Metric("llm_edge_deployment_in_flight{deployment=\"a\"}");
      long b = s.Metric("llm_edge_deployment_in_flight{deployment=\"b\"}");
      if (a + b == i + 1) break;
      std::this_thread::sleep_for(5ms);
    }
  }
  std::map<std::string, int> n;
  for (auto& conn : open) {
    auto r = conn->ReadResponse(30s);
    ASSERT_TRUE(r);
    ++n[r->Header("x-edge-deployment")];
  }
  EXPECT_EQ(n["a"], 3);
  EXPECT_EQ(n["b"], 3);
}

TEST(Routing, UsageBasedKeepsHeadroomUnderRpm) {
  Stage s(2);
  ASSERT_EQ(s.Start(Item("m", "small", s.fake(0), "rpm: 5") + Item("m", "big", s.fake(1), "rpm: 1000"),
                    "  routing_strategy: usage-based-routing\n"),
            "");
  Client c(s.node->port());
  for (int i = 0; i < 60; ++i) ASSERT_EQ(c.Chat("m")->status, 200);
  long small = s.fake(0).Stat("requests");
  // Both stay at the same used fraction of their rpm: small gets about 60 * 5/1005 (and a
  // minute boundary during the run at most doubles that).
  EXPECT_GE(small, 1);
  EXPECT_LE(small, 5);
  EXPECT_EQ(s.fake(1).Stat("requests"), 60 - small);
}

TEST(Routing, CapabilityFilterAndContextWindowFallback) {
  Stage s(3);
  ASSERT_EQ(s.Start(Item("m", "text", s.fake(0), "",
                         "supports_vision: false, supports_function_calling: false, max_input_tokens: 100") +
                        Item("m", "vision", s.fake(1), "",
                             "supports_vision: true, supports_function_calling: true, max_input_tokens: 100") +
                        Item("m-long", "long", s.fake(2), "", "max_input_tokens: 1000000"),
                    "  routing_strategy: simple-shuffle\n  context_window_fallbacks: [{m: [m-long]}]\n"),
            "");
  Client c(s.node->port());
  const std::string image =
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what is it"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]})";
  const std::string tools =
      R"({"model":"m","messages":[{"role":"user","content":"weather?"}],)"
      R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]})";
  std::string words;
  for (int i = 0; i < 400; ++i) words += "word" + std::to_string(i) + " ";
  const std::string oversized = R"({"model":"m","messages":[{"role":"user","content":")" + words + R"("}]})";
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(c.Chat("m", image)->Header("x-edge-deployment"), "vision");
    EXPECT_EQ(c.Chat("m", tools)->Header("x-edge-deployment"), "vision");
    auto r = c.Chat("m", oversized);
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->Header("x-edge-deployment"), "long");
  }
  EXPECT_EQ(s.fake(0).Stat("requests"), 0);
}

// Everything down: each request gets the 503 naming the model, at once, and the upstreams see
// the first attempts plus at most the retry budget's share.
TEST(Routing, AllDownAnswers503WithinTheRetryBudget) {
  Stage s(3);
  ASSERT_EQ(s.Start(Item("down", "d1", s.fake(0)) + Item("down", "d2", s.fake(1)) + Item("down", "d3", s.fake(2)),
                    "  num_retries: 2\n  allowed_fails: 1000\n"
                    "  retry_budget: {ratio: 0.2, min_retries_per_second: 1}\n"),
            "");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SetFault(s.fake(i), "500"));
  Client c(s.node->port());
  const int requests = 200;
  for (int i = 0; i < requests; ++i) {
    auto r = c.Chat("down");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 503) << r->body;
    ASSERT_NE(r->body.find("'down'"), std::string::npos) << r->body;
  }
  long attempts = s.fake(0).Stat("requests") + s.fake(1).Stat("requests") + s.fake(2).Stat("requests");
  // 0.2 per request plus 1 per second over 10 s (the run may span two windows), and the
  // two workers' races on the last token.
  EXPECT_LE(attempts, requests + requests / 5 + 20 + 2);
  EXPECT_GE(attempts, requests);
  EXPECT_GT(s.Metric("llm_edge_retry_budget_refusals_total"), 0);
}

// What the router learned survives a reload for every deployment whose id did not change: a
// deployment inserted in front of a cooling one neither renames it nor ends its cooldown.
TEST(Routing, ReloadKeepsCooldownsByDeploymentId) {
  Stage s(3);
  const std::string router = "  allowed_fails: 1\n  cooldown_time: 600\n";
  // Content-derived ids (no model_info.id): inserting must not rename.
  auto derived = [](const std::string& alias, const FakeProvider& fake, const std::string& params) {
    return "  - model_name: " + alias + "\n    litellm_params: {model: openai/gpt-4o-mini, api_base: \"" +
           fake.base_url() + "/v1\", api_key: sk-up, " + params + "}\n    model_info: {jurisdiction: EU}\n";
  };
  const std::string before = derived("m", s.fake(0), "order: 1") + derived("m", s.fake(1), "order: 2");
  ASSERT_EQ(s.Start(before, router), "");
  ASSERT_TRUE(SetFault(s.fake(0), "500"));
  const std::string primary = DeploymentId(*s.node, 0);
  Client c(s.node->port());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.Chat("m")->status, 200);
  EXPECT_EQ(s.fake(0).Stat("requests"), 1);  // one failure, then cooling down for 600 s

  std::ofstream(s.node->config_path())
      << TestConfig(derived("m", s.fake(2), "order: 3") + before + Item("embed", "embed", s.fake(0))) +
             "router_settings:\n" + router;
  s.node->process().Signal(SIGHUP);
  ASSERT_TRUE(s.node->process().WaitForLine("config reloaded", true, 10s));
  EXPECT_EQ(DeploymentId(*s.node, 1), primary);
  auto routes = ParseJson(s.Admin("/admin/routes"));
  EXPECT_EQ(JsonString(routes, "deployments.1.state"), "cooling_down");
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.Chat("m")->status, 200);
  EXPECT_EQ(s.fake(0).Stat("requests"), 1) << "the cooldown was kept";
  EXPECT_EQ(s.fake(1).Stat("requests"), 25);
}

// Pinned callers (this node is in the EU, EU is pinned): a failing EU primary falls back to
// the EU secondary and never to the US deployment, whatever the order says; with every EU
// deployment down the answer is the 503 naming the jurisdiction, the model and the last
// failure, and the US fake has seen nothing.
TEST(Routing, PinnedRequestsFallBackOnlyInsideTheirJurisdiction) {
  Stage s(3);
  ASSERT_EQ(s.Start(Item("geo", "us", s.fake(2), "order: 0", "", "US") +
                        Item("geo", "eu-primary", s.fake(0), "order: 1") +
                        Item("geo", "eu-secondary", s.fake(1), "order: 2"),
                    "  allowed_fails: 1000\n"),
            "");
  ASSERT_TRUE(SetFault(s.fake(0), "529"));
  Client c(s.node->port());
  for (int i = 0; i < 50; ++i) {
    auto r = c.Chat("geo");
    ASSERT_TRUE(r) << "no answer";
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->Header("x-edge-deployment"), "eu-secondary");
    EXPECT_EQ(r->Header("x-edge-attempts"), "2");
  }
  ASSERT_TRUE(SetFault(s.fake(1), "500"));
  for (int i = 0; i < 20; ++i) {
    auto r = c.Chat("geo");
    ASSERT_TRUE(r) << "no answer";
    ASSERT_EQ(r->status, 503) << r->body;
    EXPECT_NE(r->body.find("'geo'"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("in EU"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("last failure"), std::string::npos) << r->body;
  }
  EXPECT_EQ(s.fake(2).Stat("requests"), 0);
}

}  // namespace
}  // namespace edge::e2e
