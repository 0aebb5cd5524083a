#pragma once

// The router: which deployment serves a request, and which one next when an attempt fails.
//
//   Router     process-wide: the per-deployment state (DeploymentState) by deployment id,
//              carried over when the config is reloaded, the node-wide retry budget and
//              counters. One per process, shared by every worker; the snapshot holds it.
//   Route      one request's routing: Plan() lists the candidates (the alias's group, then
//              context-window fallbacks when the prompt is too large, then `fallbacks`)
//              with the filters applied in the contract's order — residency first, then
//              capabilities — and Next() picks each attempt among those still eligible:
//              healthy before cooling down, lower `order` first, then the strategy.
//              Residency is a filter on the candidate list that nothing after it widens:
//              Next() only ever picks from the filtered list.
//
// Strategies (router_settings.routing_strategy, docs/routing.md): latency-based-routing
// (PeakEWMA + power of two choices), simple-shuffle (weighted random), cost-based-routing,
// least-busy, usage-based-routing.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "node/routing/decision.h"
#include "node/routing/deployment_state.h"
#include "node/routing/retry_budget.h"

namespace edge::routing {

// Monotonic milliseconds (> 0) on the clock every DeploymentState is kept in.
int64_t NowMs();
// Milliseconds since the Unix epoch.
int64_t NowUnixMs();

// A small fast PRNG (splitmix64): routing needs spread, not secrecy.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  double Uniform();  // [0, 1)
  // This thread's generator, seeded from the OS once.
  static Rng& ForThread();

 private:
  uint64_t s_;
};

// What a request needs of a deployment, read from its body (OpenAI chat form).
struct RequestNeeds {
  bool images = false;
  bool tools = false;
  bool json_schema = false;
  int64_t prompt_tokens = 0;  // estimated (providers::EstimatePromptTokens)
};
// `body` is untrusted; what cannot be read needs nothing.
RequestNeeds ReadNeeds(std::string_view openai_chat_body);

// An upstream's Retry-After (seconds, whole or fractional, as ProviderError::retry_after
// carries it) in milliseconds; 0 when absent, not a number or not positive. At most an hour:
// a deployment is never shelved for longer on one answer's word.
int64_t RetryAfterMs(std::string_view seconds);

using States = std::vector<std::shared_ptr<DeploymentState>>;

class Router {
 public:
  // The states of cfg.model_list, in its order: the one of the same id as before when there
  // was one, so measurements and cooldowns survive a reload. Takes a lock: reload only.
  States StatesFor(const config::Config& cfg);

  RetryBudget& retry_budget() { return retry_budget_; }
  const RetryBudget& retry_budget() const { return retry_budget_; }
  std::atomic<uint64_t> fallbacks{0};  // attempts made on a fallback group

  // GET /admin/routes: {"strategy", "deployments":[...]} (node/README.md).
  std::string RoutesJson(const config::Config& cfg, const States& states, int64_t now_ms,
                         int64_t now_unix_ms) const;
  // The llm_edge_* routing series, appended to GET /metrics.
  std::string RenderPrometheus(const config::Config& cfg, const States& states) const;

 private:
  std::mutex mu_;  // by_id_ only, taken on reload
  std::map<std::string, std::weak_ptr<DeploymentState>, std::less<>> by_id_;
  RetryBudget retry_budget_;
};

// Strategies, in config spelling.
enum class Strategy : uint8_t { kLatency, kShuffle, kCost, kLeastBusy, kUsage };
Strategy StrategyOf(std::string_view routing_strategy);

// A deployment that has lost this many P2C comparisons since its last sample is picked once
// to be measured again: at most ~2 % of traffic goes to a deployment known to be slow, and a
// recovered deployment gets traffic back within this many requests.
inline constexpr uint32_t kExploreAfter = 50;
// The same after a single peak sample (DeploymentState::peaked): more than twice the average.
inline constexpr uint32_t kRecheckPeakAfter = 3;

class Route {
 public:
  // Lists the candidates for `alias` (which must be in cfg) under `pinned` ("" = any
  // jurisdiction). `body` is read for capabilities only when a candidate declares a limit.
  // False when no candidate is eligible (decision.refusal = kNoDeployment).
  bool Plan(const config::Config& cfg, const States& states, std::string_view alias,
            std::string_view pinned, std::string_view body, bool stream);

  // The deployment for the next attempt (an index into model_list), or nullopt when the
  // request must stop (decision.refusal says why). Every attempt after the first is a retry
  // and needs the node-wide retry budget. Marks the attempt started (in flight, rpm).
  std::optional<size_t> Next(Router& router, Rng& rng, int64_t now_ms, int64_t now_unix_ms);

  // The attempt Next() started ended. `latency_ms`: a latency sample (time to first byte for
  // streams, time per output token otherwise), < 0 when none. `retry_after_ms`: the upstream's
  // Retry-After, 0 when none. `tokens`: billed tokens, for tpm.
  void End(AttemptOutcome outcome, int upstream_status, double latency_ms,
           int64_t retry_after_ms, uint64_t tokens, int64_t now_ms);
  // True between Next() returning a deployment and End().
  bool attempt_open() const { return open_; }

  // Whether some candidate was left out by residency (for messages).
  bool residency_filtered() const;

  Decision decision;

 private:
  struct Eligible {
    uint32_t index;  // into model_list
    uint16_t group;
    uint16_t tries = 0;
  };
  size_t Pick(const std::vector<size_t>& pool, Rng& rng, int64_t now_ms);

  const config::Config* cfg_ = nullptr;
  const States* states_ = nullptr;
  Strategy strategy_ = Strategy::kLatency;
  bool stream_ = false;
  std::vector<Eligible> eligible_;
  std::vector<uint16_t> group_attempts_;
  bool open_ = false;
  size_t current_ = 0;  // into eligible_, while open_
  bool exploring_ = false;  // the open attempt re-measures a stale latency estimate
  int64_t started_ms_ = 0;
};

}  // namespace edge::routing
