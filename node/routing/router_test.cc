// The router without sockets: PeakEWMA, the retry budget's arithmetic, the cooldown state
// machine, each strategy's choices with a seeded generator, retries and fallbacks, and the
// residency property over 10,000 randomized requests.

#include "node/routing/router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace edge::routing {
namespace {

config::Config Load(const std::string& models, const std::string& router = "") {
  auto cfg = config::LoadFromString("model_list:\n" + models + (router.empty() ? "" : "router_settings:\n" + router),
                                    "t.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  return cfg.ok() ? std::move(cfg).value() : config::Config{};
}

// One deployment item; `params` and `info` are extra flow-map members.
std::string Dep(const std::string& alias, const std::string& id, const std::string& params = "",
                const std::string& info = "") {
  return "  - model_name: " + alias + "\n    litellm_params: {model: openai/" + id +
         ", api_base: http://h/v1" + (params.empty() ? "" : ", " + params) + "}\n" +
         "    model_info: {id: " + id + (info.empty() ? "" : ", " + info) + "}\n";
}

// Routes one request to its first attempt and ends it with `outcome`; returns the id.
std::string RouteOnce(Router& router, const config::Config& cfg, const States& states, Rng& rng,
                      int64_t now, std::string_view alias = "m", std::string_view pinned = "",
                      AttemptOutcome outcome = AttemptOutcome::kOk, double latency = 1) {
  Route route;
  if (!route.Plan(cfg, states, alias, pinned, "{}", false)) return "";
  auto i = route.Next(router, rng, now, 0);
  if (!i) return "";
  route.End(outcome, outcome == AttemptOutcome::kOk ? 200 : 500, latency, 0, 0, now);
  return cfg.model_list[*i].id;
}

TEST(PeakEwma, JumpsToPeaksAndDecaysByTime) {
  PeakEwma e;
  EXPECT_FALSE(e.observed());
  EXPECT_EQ(e.Cost(1000), 0);
  e.Observe(10, 1000);
  EXPECT_TRUE(e.observed());
  EXPECT_NEAR(e.Cost(1000), 10, 1e-6);
  // Unobserved, the cost decays toward 0 with time: e^-1 after the decay time.
  EXPECT_NEAR(e.Cost(1000 + 10000), 10 * std::exp(-1.0), 1e-3);
  // A lower sample soon after moves the average a little (weight 1 - e^(-dt/tau))...
  e.Observe(2, 1100);
  double w = std::exp(-100.0 / PeakEwma::kDecayMs);
  EXPECT_NEAR(e.Last(), 10 * w + 2 * (1 - w), 1e-3);
  // ...a higher one is taken at once (the peak).
  e.Observe(50, 1101);
  EXPECT_NEAR(e.Last(), 50, 1e-6);
  // A lower sample after a long quiet time replaces it almost entirely: by time, not count.
  e.Observe(3, 1101 + 100000);
  EXPECT_NEAR(e.Last(), 3, 0.01);
  // Garbage in does not poison it.
  e.Observe(std::nan(""), 200000);
  EXPECT_FALSE(std::isnan(e.Last()));
}

TEST(RetryBudget, RatioOfRecentRequestsPlusAReservePerSecond) {
  RetryBudget b;
  const int64_t t0 = 5'000'000;
  for (int i = 0; i < 100; ++i) b.Deposit(t0);
  // 0.2 * 100 + 1/s * 10 s = 30 retries, then refusals.
  int granted = 0;
  for (int i = 0; i < 50; ++i) granted += b.TryWithdraw(0.2, 1, t0) ? 1 : 0;
  EXPECT_EQ(granted, 30);
  EXPECT_EQ(b.refusals(), 20u);
  // The window moves on: old requests and retries no longer count; the reserve remains.
  const int64_t later = t0 + RetryBudget::kWindowS * 1000;
  granted = 0;
  for (int i = 0; i < 50; ++i) granted += b.TryWithdraw(0.2, 1, later) ? 1 : 0;
  EXPECT_EQ(granted, 10);
  // No reserve, no requests: nothing.
  RetryBudget none;
  EXPECT_FALSE(none.TryWithdraw(0.2, 0, t0));
  // Light traffic: one request still gets its retry from the reserve.
  RetryBudget light;
  light.Deposit(t0);
  EXPECT_TRUE(light.TryWithdraw(0.2, 10, t0));
}

TEST(Cooldown, AllowedFailsThenCooldownThenOneProbe) {
  DeploymentState s;
  const int64_t t = 1'000'000;
  EXPECT_FALSE(s.OnResult(true, 0, false, 3, 30000, t));
  EXPECT_FALSE(s.OnResult(true, 0, false, 3, 30000, t + 1));
  EXPECT_EQ(s.HealthAt(t + 2), Health::kHealthy);
  EXPECT_TRUE(s.OnResult(true, 0, false, 3, 30000, t + 2));  // the third within 60 s
  EXPECT_EQ(s.HealthAt(t + 3), Health::kCoolingDown);
  EXPECT_EQ(s.cooldown_until_ms(), t + 2 + 30000);
  EXPECT_EQ(s.cooldowns.load(), 1u);
  EXPECT_EQ(s.HealthAt(t + 2 + 30000), Health::kProbing);
  EXPECT_TRUE(s.TakeProbe());
  EXPECT_FALSE(s.TakeProbe());  // one probe at a time
  // The probe fails: cooling down again, counted as a new entry.
  EXPECT_TRUE(s.OnResult(true, 0, true, 3, 30000, t + 40000));
  EXPECT_EQ(s.HealthAt(t + 40001), Health::kCoolingDown);
  EXPECT_EQ(s.cooldowns.load(), 2u);
  // Next probe succeeds: healthy, and the failure count starts over.
  EXPECT_TRUE(s.TakeProbe());
  EXPECT_FALSE(s.OnResult(false, 0, true, 3, 30000, t + 80000));
  EXPECT_EQ(s.HealthAt(t + 80001), Health::kHealthy);
  EXPECT_FALSE(s.OnResult(true, 0, false, 3, 30000, t + 80002));
  EXPECT_EQ(s.HealthAt(t + 80003), Health::kHealthy);
}

TEST(Cooldown, FailuresOlderThanAMinuteDoNotCount) {
  DeploymentState s;
  const int64_t t = 1'000'000;
  s.OnResult(true, 0, false, 2, 30000, t);
  EXPECT_FALSE(s.OnResult(true, 0, false, 2, 30000, t + 61000));
  EXPECT_EQ(s.HealthAt(t + 61001), Health::kHealthy);
  EXPECT_TRUE(s.OnResult(true, 0, false, 2, 30000, t + 62000));
}

TEST(RetryAfter, SecondsToMillisecondsAndMalformedValuesIgnored) {
  EXPECT_EQ(RetryAfterMs("1"), 1000);
  EXPECT_EQ(RetryAfterMs("2.5"), 2500);
  EXPECT_EQ(RetryAfterMs("99999999"), 3600000);  // at most an hour
  for (const char* bad : {"", "0", "-3", "abc", "1s", " 1", "1 ", "nan", "inf", "-inf",
                          "Wed, 21 Oct 2015 07:28:00 GMT", "1e400", "0x10"}) {
    EXPECT_EQ(RetryAfterMs(bad), 0) << bad;
  }
}

TEST(Cooldown, RetryAfterCoolsForThatLong) {
  DeploymentState s;
  EXPECT_TRUE(s.OnResult(true, 7000, false, 100, 30000, 1000));
  EXPECT_EQ(s.cooldown_until_ms(), 8000);
  // A success that is not the probe does not end it.
  s.OnResult(false, 0, false, 100, 30000, 2000);
  EXPECT_EQ(s.HealthAt(2001), Health::kCoolingDown);
}

// A reload keeps what the router learned about every deployment whose id is unchanged; a
// deployment inserted in front gets a fresh state and renames nobody.
TEST(Router, StateIsCarriedOverByIdAcrossReloads) {
  Router router;
  config::Config before = Load(Dep("m", "a") + Dep("m", "b"));
  States old_states = router.StatesFor(before);
  old_states[1]->ms_per_token.Observe(7, 1000);
  ASSERT_TRUE(old_states[1]->OnResult(true, 5000, false, 3, 30000, 1000));
  config::Config after = Load(Dep("m", "new") + Dep("m", "a") + Dep("m", "b"));
  States new_states = router.StatesFor(after);
  EXPECT_EQ(new_states[1], old_states[0]);
  EXPECT_EQ(new_states[2], old_states[1]);
  EXPECT_EQ(new_states[2]->HealthAt(2000), Health::kCoolingDown);
  EXPECT_NEAR(new_states[2]->ms_per_token.Last(), 7, 1e-6);
  EXPECT_FALSE(new_states[0]->ms_per_token.observed());
  // Content-derived ids too: the same deployment keeps its id, so its state.
  config::Config derived1 = Load("  - model_name: x\n    litellm_params: {model: openai/q, api_base: http://h/v1}\n");
  config::Config derived2 = Load("  - model_name: y\n    litellm_params: {model: openai/z, api_base: http://h/v1}\n"
                                 "  - model_name: x\n    litellm_params: {model: openai/q, api_base: http://h/v1}\n");
  States d1 = router.StatesFor(derived1);
  States d2 = router.StatesFor(derived2);
  EXPECT_EQ(d1[0], d2[1]);
}

TEST(Strategies, SimpleShuffleSplitsByWeight) {
  Router router;
  config::Config cfg = Load(Dep("m", "a", "weight: 90") + Dep("m", "b", "weight: 10"),
                            "  routing_strategy: simple-shuffle\n");
  States states = router.StatesFor(cfg);
  Rng rng(42);
  std::map<std::string, int> n;
  for (int i = 0; i < 10000; ++i) ++n[RouteOnce(router, cfg, states, rng, 1000 + i)];
  EXPECT_NEAR(n["a"], 9000, 150);
  EXPECT_NEAR(n["b"], 1000, 150);
}

TEST(Strategies, CostPicksTheCheapestAndShufflesTies) {
  Router router;
  // Prices as the ledger bills them (config/prices.h): model_info's, both halves given for
  // models the price list does not know.
  config::Config cfg = Load(Dep("m", "dear", "", "input_cost_per_token: 0.00001, output_cost_per_token: 0.00001") +
                                Dep("m", "cheap1", "", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000001") +
                                Dep("m", "cheap2", "", "input_cost_per_token: 0.0000015, output_cost_per_token: 0.0000005") +
                                Dep("m", "unpriced"),
                            "  routing_strategy: cost-based-routing\n");
  States states = router.StatesFor(cfg);
  Rng rng(1);
  std::map<std::string, int> n;
  for (int i = 0; i < 1000; ++i) ++n[RouteOnce(router, cfg, states, rng, 1000 + i)];
  EXPECT_EQ(n["dear"], 0);
  EXPECT_EQ(n["unpriced"], 0);
  EXPECT_GT(n["cheap1"], 400);
  EXPECT_GT(n["cheap2"], 400);
}

// Without model_info prices, the price list's (config/prices.yaml) decide.
TEST(Strategies, CostUsesThePriceList) {
  Router router;
  config::Config cfg = Load(Dep("m", "gpt-4o") + Dep("m", "gpt-4o-mini"), "  routing_strategy: cost-based-routing\n");
  ASSERT_TRUE(cfg.model_list[0].price && cfg.model_list[1].price);
  States states = router.StatesFor(cfg);
  Rng rng(2);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(RouteOnce(router, cfg, states, rng, 1000 + i), "gpt-4o-mini");
}

TEST(Strategies, LeastBusyPicksFewestInFlight) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("m", "c"), "  routing_strategy: least-busy\n");
  States states = router.StatesFor(cfg);
  Rng rng(3);
  // Open attempts pile up: each new one goes where the fewest are open.
  std::vector<Route> routes(30);
  for (Route& r : routes) {
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    ASSERT_TRUE(r.Next(router, rng, 1000, 0));
  }
  for (const auto& s : states) EXPECT_EQ(s->in_flight.load(), 10);
  states[1]->in_flight += 5;
  states[2]->in_flight += 5;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(RouteOnce(router, cfg, states, rng, 2000), "a");
}

TEST(Strategies, UsageBasedPicksMostHeadroom) {
  Router router;
  config::Config cfg = Load(Dep("m", "small", "rpm: 10") + Dep("m", "big", "rpm: 100"),
                            "  routing_strategy: usage-based-routing\n");
  States states = router.StatesFor(cfg);
  Rng rng(5);
  std::map<std::string, int> n;
  for (int i = 0; i < 110; ++i) ++n[RouteOnce(router, cfg, states, rng, 1000)];
  // Used fractions stay level (small gets ~1 in 11), and neither goes past its rpm.
  EXPECT_EQ(n["small"], 10);
  EXPECT_EQ(n["big"], 100);
  // Both at their limits: the next request still goes somewhere rather than nowhere.
  EXPECT_NE(RouteOnce(router, cfg, states, rng, 1000), "");
  // A new minute: headroom again.
  EXPECT_EQ(states[0]->ThisMinute(61000).requests, 0u);
}

TEST(Strategies, LatencyExploresThenPrefersTheFasterWithP2C) {
  Router router;
  config::Config cfg = Load(Dep("m", "fast") + Dep("m", "slow"));  // the default strategy
  ASSERT_EQ(cfg.router.routing_strategy, "latency-based-routing");
  States states = router.StatesFor(cfg);
  Rng rng(7);
  // Neither measured: both are explored first.
  std::set<std::string> first;
  for (int i = 0; i < 2; ++i) {
    Route r;
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    auto idx = r.Next(router, rng, 1000, 0);
    first.insert(cfg.model_list[*idx].id);
    r.End(AttemptOutcome::kOk, 200, cfg.model_list[*idx].id == "fast" ? 2 : 12, 0, 0, 1000);
  }
  EXPECT_EQ(first.size(), 2u);
  std::map<std::string, int> n;
  for (int i = 0; i < 300; ++i) {
    Route r;
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    auto idx = r.Next(router, rng, 1001 + i, 0);
    const std::string& id = cfg.model_list[*idx].id;
    ++n[id];
    r.End(AttemptOutcome::kOk, 200, id == "fast" ? 2 : 12, 0, 0, 1001 + i);
  }
  EXPECT_GT(n["fast"], 290);  // the slow one only gets its re-measurements
  EXPECT_GE(n["slow"], 300 / static_cast<int>(kExploreAfter + 1) - 1);
  // The slow one recovers: its next re-measurement shows it, and it gets traffic again within
  // kExploreAfter + 1 requests.
  n.clear();
  int returned_after = -1;
  for (int i = 0; i < 200; ++i) {
    Route r;
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    auto idx = r.Next(router, rng, 2000 + i, 0);
    const std::string& id = cfg.model_list[*idx].id;
    ++n[id];
    r.End(AttemptOutcome::kOk, 200, id == "fast" ? 2 : 1, 0, 0, 2000 + i);
    if (id == "slow" && n["slow"] == 2 && returned_after < 0) returned_after = i;
  }
  EXPECT_GT(n["slow"], 100);  // now the faster, it takes most
  EXPECT_LE(returned_after, static_cast<int>(kExploreAfter) + 2);
}

// One slow answer of the fast deployment (a pause) costs a few requests, not kExploreAfter.
TEST(Strategies, LatencyRecoversFromASinglePeakQuickly) {
  Router router;
  config::Config cfg = Load(Dep("m", "fast") + Dep("m", "slow"));
  States states = router.StatesFor(cfg);
  states[0]->ms_per_token.Observe(1, 1000);
  states[1]->ms_per_token.Observe(10, 1000);
  Rng rng(41);
  auto one = [&](int64_t now, double fast_latency) {
    Route r;
    EXPECT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    auto idx = r.Next(router, rng, now, 0);
    const std::string& id = cfg.model_list[*idx].id;
    r.End(AttemptOutcome::kOk, 200, id == "fast" ? fast_latency : 10, 0, 0, now);
    return id;
  };
  EXPECT_EQ(one(1001, 60), "fast");  // the peak: fast now looks slower than slow
  int slow = 0;
  for (int i = 0; i < 20; ++i) slow += one(1002 + i, 1) == "slow" ? 1 : 0;
  EXPECT_LE(slow, static_cast<int>(kRecheckPeakAfter));
  EXPECT_GE(slow, 1);
}

TEST(Strategies, LatencySpreadsLoadInsteadOfHerding) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("m", "c"));
  States states = router.StatesFor(cfg);
  states[0]->ms_per_token.Observe(4, 1000);  // slightly the best
  states[1]->ms_per_token.Observe(5, 1000);
  states[2]->ms_per_token.Observe(5, 1000);
  Rng rng(9);
  std::vector<Route> open(60);
  std::map<std::string, int> n;
  for (Route& r : open) {
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    ++n[cfg.model_list[*r.Next(router, rng, 1000, 0)].id];
  }
  // Cost times (in flight + 1): the best takes more, but not everything.
  EXPECT_GT(n["a"], n["b"]);
  EXPECT_GT(n["b"], 5);
  EXPECT_GT(n["c"], 5);
}

TEST(Strategies, LowestLatencyBufferSharesAmongTheNearlyBest) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("m", "far"),
                            "  routing_strategy_args: {lowest_latency_buffer: 0.5}\n");
  States states = router.StatesFor(cfg);
  states[0]->ms_per_token.Observe(10, 1000);
  states[1]->ms_per_token.Observe(12, 1000);
  states[2]->ms_per_token.Observe(40, 1000);
  Rng rng(11);
  std::map<std::string, int> n;
  for (int i = 0; i < 1000; ++i) ++n[RouteOnce(router, cfg, states, rng, 1000, "m", "", AttemptOutcome::kCancelled)];
  EXPECT_GT(n["a"], 300);
  EXPECT_GT(n["b"], 300);
  EXPECT_LE(n["far"], 1000 / static_cast<int>(kExploreAfter));  // re-measurements only
}

TEST(Failures, RetriesNeverRepeatADeploymentThenFallBack) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("fb", "c"),
                            "  num_retries: 5\n  fallbacks: [{m: [fb]}]\n  allowed_fails: 100\n");
  States states = router.StatesFor(cfg);
  Rng rng(13);
  Route r;
  ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
  std::vector<std::string> seen;
  while (auto i = r.Next(router, rng, 1000, 0)) {
    seen.push_back(cfg.model_list[*i].id);
    r.End(AttemptOutcome::kRetryableStatus, 529, -1, 0, 0, 1000);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.begin() + 2), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(seen[2], "c");  // the fallback group after the alias's own
  EXPECT_TRUE(r.decision.attempts[2].fallback);
  EXPECT_EQ(r.decision.refusal, Refusal::kRetriesExhausted);
  EXPECT_EQ(router.fallbacks.load(), 1u);
}

TEST(Failures, TheOnlyDeploymentIsRetriedUpToNumRetries) {
  Router router;
  config::Config cfg = Load(Dep("m", "a"), "  num_retries: 2\n  allowed_fails: 100\n");
  States states = router.StatesFor(cfg);
  Rng rng(17);
  Route r;
  ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
  int attempts = 0;
  while (r.Next(router, rng, 1000, 0)) {
    ++attempts;
    r.End(AttemptOutcome::kConnectError, 0, -1, 0, 0, 1000);
  }
  EXPECT_EQ(attempts, 3);
  // Not once it is cooling down: a 429 with Retry-After ends the request at once.
  Route again;
  ASSERT_TRUE(again.Plan(cfg, states, "m", "", "{}", false));
  ASSERT_TRUE(again.Next(router, rng, 2000, 0));
  again.End(AttemptOutcome::kRetryableStatus, 429, -1, 1000, 0, 2000);
  EXPECT_FALSE(again.Next(router, rng, 2000, 0));
  EXPECT_EQ(again.decision.refusal, Refusal::kRetriesExhausted);
}

TEST(Failures, CoolingDeploymentsAreSkippedUntilAllAreCooling) {
  Router router;
  config::Config cfg = Load(Dep("m", "a", "order: 1") + Dep("m", "b", "order: 2"),
                            "  allowed_fails: 1\n  cooldown_time: 30\n");
  States states = router.StatesFor(cfg);
  Rng rng(19);
  // a (order 1) fails once: cooling down; every request goes to b meanwhile.
  EXPECT_EQ(RouteOnce(router, cfg, states, rng, 1000, "m", "", AttemptOutcome::kRetryableStatus), "a");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(RouteOnce(router, cfg, states, rng, 2000 + i), "b");
  // b cools down too (a Retry-After of 5 s): a's cooldown ends first... no: b's does.
  {
    Route r;
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    r.Next(router, rng, 3000, 0);
    r.End(AttemptOutcome::kRetryableStatus, 429, -1, 5000, 0, 3000);
  }
  EXPECT_EQ(states[1]->cooldown_until_ms(), 8000);
  EXPECT_EQ(RouteOnce(router, cfg, states, rng, 4000, "m", "", AttemptOutcome::kCancelled), "b");
  // a's cooldown is over: the next request is its probe; until the probe answers, nobody
  // else probes.
  Route probe;
  ASSERT_TRUE(probe.Plan(cfg, states, "m", "", "{}", false));
  auto i = probe.Next(router, rng, 31001, 0);
  EXPECT_EQ(cfg.model_list[*i].id, "a");
  EXPECT_TRUE(probe.decision.attempts[0].probe);
  EXPECT_EQ(RouteOnce(router, cfg, states, rng, 31002), "b");
  probe.End(AttemptOutcome::kOk, 200, 1, 0, 0, 31003);
  EXPECT_EQ(states[0]->HealthAt(31004), Health::kHealthy);
  EXPECT_EQ(RouteOnce(router, cfg, states, rng, 31005), "a");  // order 1 again
}

TEST(Failures, RetryBudgetBoundsAttemptsWhenEverythingIsDown) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("m", "c"),
                            "  num_retries: 2\n  retry_budget: {ratio: 0.2, min_retries_per_second: 1}\n");
  States states = router.StatesFor(cfg);
  Rng rng(23);
  int attempts = 0, budget_refusals = 0;
  for (int i = 0; i < 500; ++i) {
    Route r;
    ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
    while (r.Next(router, rng, 1000, 0)) {
      ++attempts;
      r.End(AttemptOutcome::kConnectError, 0, -1, 0, 0, 1000);
    }
    budget_refusals += r.decision.refusal == Refusal::kRetryBudget ? 1 : 0;
  }
  // 500 first attempts, and retries of at most 0.2 * 500 + 1 * 10.
  EXPECT_LE(attempts, 500 + 110);
  EXPECT_GE(attempts, 500 + 100);
  EXPECT_GT(budget_refusals, 300);
}

TEST(Failures, ADeploymentThatCouldNotTakeTheRequestCostsNoRetryBudget) {
  Router router;
  config::Config cfg = Load(Dep("m", "a") + Dep("m", "b") + Dep("m", "c"),
                            "  retry_budget: {ratio: 0, min_retries_per_second: 0}\n");
  States states = router.StatesFor(cfg);
  Rng rng(37);
  Route r;
  ASSERT_TRUE(r.Plan(cfg, states, "m", "", "{}", false));
  ASSERT_TRUE(r.Next(router, rng, 1000, 0));
  r.End(AttemptOutcome::kNotExpressible, 0, -1, 0, 0, 1000);  // nothing was sent
  ASSERT_TRUE(r.Next(router, rng, 1000, 0));
  r.End(AttemptOutcome::kConnectError, 0, -1, 0, 0, 1000);
  EXPECT_FALSE(r.Next(router, rng, 1000, 0));  // a real retry: the empty budget refuses it
  EXPECT_EQ(r.decision.refusal, Refusal::kRetryBudget);
  EXPECT_EQ(router.retry_budget().refusals(), 1u);
}

TEST(Capabilities, FilterAndContextWindowFallback) {
  Router router;
  config::Config cfg = Load(Dep("m", "plain", "", "supports_vision: false, supports_function_calling: false, "
                                                  "supports_response_schema: false, max_input_tokens: 50") +
                                Dep("m", "vision", "", "supports_vision: true, max_input_tokens: 50") +
                                Dep("big", "long", "", "max_input_tokens: 100000"),
                            "  context_window_fallbacks: [{m: [big]}]\n");
  States states = router.StatesFor(cfg);
  Rng rng(29);
  auto route = [&](const std::string& body) {
    Route r;
    std::set<std::string> ids;
    if (!r.Plan(cfg, states, "m", "", body, false)) return ids;
    for (const Candidate& c : r.decision.candidates) {
      if (c.excluded == Exclusion::kNone) ids.insert(std::string(c.deployment_id));
    }
    return ids;
  };
  EXPECT_EQ(route(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})"),
            (std::set<std::string>{"vision"}));
  EXPECT_EQ(route(R"({"messages":[],"tools":[{"type":"function","function":{"name":"f"}}]})"),
            (std::set<std::string>{"vision"}));
  EXPECT_EQ(route(R"({"messages":[],"response_format":{"type":"json_schema","json_schema":{}}})"),
            (std::set<std::string>{"vision"}));
  EXPECT_EQ(route(R"({"messages":[],"response_format":{"type":"json_object"}})"),
            (std::set<std::string>{"plain", "vision"}));
  std::string huge(4000, 'x');
  EXPECT_EQ(route(R"({"messages":[{"role":"user","content":")" + huge + R"("}]})"),
            (std::set<std::string>{"long"}));
  // Not JSON: nothing is needed but what its size says.
  EXPECT_EQ(route("not json"), (std::set<std::string>{"plain", "vision"}));
}

TEST(Residency, PinnedRequestsNeverLeaveTheirJurisdiction) {
  // Three aliases with fallbacks between them, deployments in EU, US and unknown places;
  // random strategies, failures (retryable, Retry-After, connect, timeout), cooldowns and
  // time; pinned and unpinned callers. The property: no attempt of a pinned request ever goes
  // to a deployment outside its jurisdiction, and a pinned request with no compliant
  // deployment is refused with nothing sent.
  std::string models;
  const char* places[] = {"EU", "US", ""};
  for (const char* alias : {"m", "n", "o"}) {
    for (int i = 0; i < 4; ++i) {
      std::string where = places[(i + alias[0]) % 3];
      models += Dep(alias, std::string(alias) + std::to_string(i), "weight: " + std::to_string(i + 1),
                    (where.empty() ? "" : "jurisdiction: " + where) +
                        std::string(where.empty() ? "" : ", ") + "input_cost_per_token: 0.00000" +
                        std::to_string(i + 1));
    }
  }
  models += Dep("us-only", "u0", "", "jurisdiction: US");
  const char* strategies[] = {"latency-based-routing", "simple-shuffle", "cost-based-routing",
                              "least-busy", "usage-based-routing"};
  Router router;
  std::vector<config::Config> cfgs;
  std::vector<States> states;
  for (const char* s : strategies) {
    cfgs.push_back(Load(models, std::string("  routing_strategy: ") + s +
                                    "\n  num_retries: 3\n  allowed_fails: 2\n  cooldown_time: 1\n"
                                    "  fallbacks: [{m: [n, o]}, {n: [o]}, {us-only: [m]}]\n"));
    states.push_back(router.StatesFor(cfgs.back()));
  }
  Rng rng(31337);
  const char* aliases[] = {"m", "n", "o", "us-only"};
  const char* callers[] = {"", "EU", "US"};
  int64_t now = 1'000'000;
  int pinned_served = 0, pinned_refused = 0, unpinned_abroad = 0;
  for (int req = 0; req < 10000; ++req) {
    size_t k = rng.Next() % cfgs.size();
    const config::Config& cfg = cfgs[k];
    std::string_view alias = aliases[rng.Next() % 4];
    std::string_view pinned = callers[rng.Next() % 3];
    now += static_cast<int64_t>(rng.Next() % 200);
    Route r;
    bool planned = r.Plan(cfg, states[k], alias, pinned, "{}", false);
    bool sent = false, ok = false;
    while (planned) {
      auto i = r.Next(router, rng, now, 0);
      if (!i) break;
      const config::Deployment& d = cfg.model_list[*i];
      if (!pinned.empty()) {
        ASSERT_EQ(d.jurisdiction, pinned) << "request " << req << " to " << d.id;
      }
      if (pinned.empty() && d.jurisdiction != "EU") ++unpinned_abroad;
      sent = true;
      switch (rng.Next() % 6) {
        case 0: r.End(AttemptOutcome::kRetryableStatus, 529, -1, 0, 0, now); continue;
        case 1: r.End(AttemptOutcome::kRetryableStatus, 429, -1, 1000, 0, now); continue;
        case 2: r.End(AttemptOutcome::kConnectError, 0, -1, 0, 0, now); continue;
        case 3: r.End(AttemptOutcome::kTimeout, 0, -1, 0, 0, now); continue;
        default: r.End(AttemptOutcome::kOk, 200, static_cast<double>(rng.Next() % 50), 0, 10, now); ok = true;
      }
      break;
    }
    for (const Attempt& a : r.decision.attempts) {
      if (!pinned.empty()) {
        ASSERT_EQ(a.jurisdiction, pinned);
      }
    }
    if (!pinned.empty()) {
      (ok ? pinned_served : pinned_refused) += 1;
      if (!planned) {
        EXPECT_FALSE(sent);
      }
    }
  }
  // The run exercised both sides: pinned requests served and refused, unpinned ones abroad.
  EXPECT_GT(pinned_served, 1000);
  EXPECT_GT(pinned_refused, 100);
  EXPECT_GT(unpinned_abroad, 1000);
  for (const auto& s : states[0]) EXPECT_EQ(s->in_flight.load(), 0);
}

}  // namespace
}  // namespace edge::routing
