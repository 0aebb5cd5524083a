// One request's routing: the candidate list (Plan) and each attempt's pick (Next, Pick).

#include <algorithm>
#include <cmath>
#include <limits>

#include "node/routing/router.h"

namespace edge::routing {
namespace {

// A deployment without a latency sample that already has requests in flight: not picked
// again until one answers (Finagle's penalty), so a new deployment is explored, not flooded.
constexpr double kUnmeasuredBusyPenalty = 1e12;

Exclusion CapabilityExclusion(const config::Deployment& d, const RequestNeeds& needs) {
  if (needs.images && d.supports_vision == false) return Exclusion::kVision;
  if (needs.tools && d.supports_function_calling == false) return Exclusion::kTools;
  if (needs.json_schema && d.supports_response_schema == false) return Exclusion::kResponseSchema;
  if (d.max_input_tokens && needs.prompt_tokens > static_cast<int64_t>(*d.max_input_tokens)) {
    return Exclusion::kContextWindow;
  }
  return Exclusion::kNone;
}

bool DeclaresLimits(const config::Deployment& d) {
  return d.supports_vision == false || d.supports_function_calling == false ||
         d.supports_response_schema == false || d.max_input_tokens.has_value();
}

// The price the ledger bills at (model_info's prices over the price list, config/prices.h):
// input plus output per million tokens, so the deployment billed least is picked.
double Price(const config::Deployment& d) {
  if (!d.price) return std::numeric_limits<double>::infinity();  // unknown: after every priced one
  return static_cast<double>(d.price->input) + static_cast<double>(d.price->output);
}

// Used fraction of the deployment's rpm/tpm in this minute; 0 without limits.
double Usage(const config::Deployment& d, const DeploymentState& s, int64_t now_ms) {
  DeploymentState::Minute m = s.ThisMinute(now_ms);
  double used = 0;
  if (d.rpm) used = std::max(used, static_cast<double>(m.requests) / *d.rpm);
  if (d.tpm) used = std::max(used, static_cast<double>(m.tokens) / *d.tpm);
  return used;
}

bool OverLimit(const config::Deployment& d, const DeploymentState& s, int64_t now_ms) {
  if (!d.rpm && !d.tpm) return false;
  DeploymentState::Minute m = s.ThisMinute(now_ms);
  return (d.rpm && m.requests >= *d.rpm) || (d.tpm && m.tokens >= *d.tpm);
}

}  // namespace

Strategy StrategyOf(std::string_view s) {
  if (s == "simple-shuffle" || s == "weighted") return Strategy::kShuffle;
  if (s == "cost-based-routing") return Strategy::kCost;
  if (s == "least-busy") return Strategy::kLeastBusy;
  if (s == "usage-based-routing" || s == "usage-based-routing-v2") return Strategy::kUsage;
  return Strategy::kLatency;
}

bool Route::Plan(const config::Config& cfg, const States& states, std::string_view alias,
                 std::string_view pinned, std::string_view body, bool stream) {
  cfg_ = &cfg;
  states_ = &states;
  stream_ = stream;
  strategy_ = StrategyOf(cfg.router.routing_strategy);
  decision.strategy = cfg.router.routing_strategy;
  decision.pinned_jurisdiction = pinned;

  // Scratch reused by this thread's requests: no allocation per request once warm.
  thread_local std::vector<std::string_view> groups;
  groups.assign(1, alias);
  std::optional<RequestNeeds> needs;
  bool context_excluded = false;
  auto add_group = [&](std::string_view name) {
    if (std::find(groups.begin(), groups.end(), name) == groups.end()) groups.push_back(name);
  };
  for (size_t g = 0; g < groups.size(); ++g) {
    auto it = cfg.deployments_by_alias.find(groups[g]);
    if (it == cfg.deployments_by_alias.end()) continue;
    if (g == 0) {  // one allocation each for the usual request, which has no fallback
      decision.candidates.reserve(it->second.size());
      eligible_.reserve(it->second.size());
    }
    for (size_t index : it->second) {
      const config::Deployment& d = cfg.model_list[index];
      bool seen = false;
      for (const Candidate& c : decision.candidates) seen |= c.deployment_index == index;
      if (seen) continue;
      Candidate c{d.id, d.model_name, d.jurisdiction, static_cast<uint32_t>(index), Exclusion::kNone};
      // Residency first: nothing after this line sees a deployment outside `pinned`.
      if (!pinned.empty() && d.jurisdiction != pinned) {
        c.excluded = Exclusion::kResidency;
      } else if (DeclaresLimits(d)) {
        if (!needs) needs = ReadNeeds(body);
        c.excluded = CapabilityExclusion(d, *needs);
        context_excluded |= c.excluded == Exclusion::kContextWindow;
      }
      decision.candidates.push_back(c);
      if (c.excluded == Exclusion::kNone) {
        eligible_.push_back({static_cast<uint32_t>(index), static_cast<uint16_t>(g)});
      }
    }
    if (g == 0) {
      // A prompt too large for some of the alias's deployments may go to its
      // context_window_fallbacks, before the ordinary fallbacks.
      if (context_excluded) {
        auto cw = cfg.router.context_window_fallbacks.find(alias);
        if (cw != cfg.router.context_window_fallbacks.end()) {
          for (const std::string& name : cw->second) add_group(name);
        }
      }
      auto fb = cfg.router.fallbacks.find(alias);
      if (fb != cfg.router.fallbacks.end()) {
        for (const std::string& name : fb->second) add_group(name);
      }
    }
  }
  group_attempts_.assign(groups.size(), 0);
  if (eligible_.empty()) {
    decision.refusal = Refusal::kNoDeployment;
    return false;
  }
  return true;
}

bool Route::residency_filtered() const {
  for (const Candidate& c : decision.candidates) {
    if (c.excluded == Exclusion::kResidency) return true;
  }
  return false;
}

std::optional<size_t> Route::Next(Router& router, Rng& rng, int64_t now_ms, int64_t now_unix_ms) {
  const config::RouterSettings& rs = cfg_->router;
  const uint16_t per_group = static_cast<uint16_t>(std::clamp(rs.num_retries, 0, 1000) + 1);
  // Who may still be tried: not tried yet, in a group that has attempts left. A deployment
  // is tried twice only when it is the only eligible one, and not once its failures (or a
  // Retry-After) have put it in a cooldown: hammering it again would not help.
  thread_local std::vector<size_t> open;  // scratch, as `ready` below
  open.clear();
  for (size_t i = 0; i < eligible_.size(); ++i) {
    const Eligible& e = eligible_[i];
    bool again = e.tries == 0 ||
                 (eligible_.size() == 1 && (*states_)[e.index]->HealthAt(now_ms) == Health::kHealthy);
    if (again && group_attempts_[e.group] < per_group) open.push_back(i);
  }
  if (open.empty()) {
    decision.refusal = Refusal::kRetriesExhausted;
    return std::nullopt;
  }
  // A retry is an attempt after one that reached an upstream (one the request could not be
  // expressed for sent nothing, and costs no budget).
  const bool retry = std::any_of(decision.attempts.begin(), decision.attempts.end(), [](const Attempt& a) {
    return a.outcome != AttemptOutcome::kNotExpressible;
  });
  if (retry &&
      !router.retry_budget().TryWithdraw(rs.retry_budget.ratio, rs.retry_budget.min_retries_per_second,
                                         now_ms)) {
    decision.refusal = Refusal::kRetryBudget;
    return std::nullopt;
  }
  if (decision.attempts.empty()) router.retry_budget().Deposit(now_ms);

  // The first group with a deployment ready (healthy, not over its rpm/tpm, or probing with
  // the probe free); within it the lowest `order`; among those, the strategy.
  size_t chosen = SIZE_MAX;
  bool probe = false;
  exploring_ = false;
  thread_local std::vector<size_t> ready;
  for (size_t pass_group = 0; pass_group < group_attempts_.size() && chosen == SIZE_MAX; ++pass_group) {
    ready.clear();
    int best_order = std::numeric_limits<int>::max();
    for (size_t i : open) {
      const Eligible& e = eligible_[i];
      if (e.group != pass_group) continue;
      DeploymentState& s = *(*states_)[e.index];
      Health h = s.HealthAt(now_ms);
      if (h == Health::kCoolingDown) continue;
      if (h == Health::kProbing) {
        // The one request after a cooldown: it goes to the deployment that cooled down.
        if (s.TakeProbe()) {
          chosen = i;
          probe = true;
          break;
        }
        continue;
      }
      const config::Deployment& d = cfg_->model_list[e.index];
      if (OverLimit(d, s, now_ms)) continue;
      if (d.order < best_order) {
        best_order = d.order;
        ready.clear();
      }
      if (d.order == best_order) ready.push_back(i);
    }
    if (chosen == SIZE_MAX && !ready.empty()) chosen = Pick(ready, rng, now_ms);
  }
  if (chosen == SIZE_MAX) {
    // Everything is cooling down (or at its limit): rather than fail with nothing sent, try
    // the one whose cooldown ends first.
    int64_t first_end = std::numeric_limits<int64_t>::max();
    for (size_t i : open) {
      int64_t until = (*states_)[eligible_[i].index]->cooldown_until_ms();
      if (until < first_end) {
        first_end = until;
        chosen = i;
      }
    }
  }

  Eligible& e = eligible_[chosen];
  ++e.tries;
  ++group_attempts_[e.group];
  DeploymentState& s = *(*states_)[e.index];
  s.in_flight.fetch_add(1, std::memory_order_relaxed);
  s.CountRequest(now_ms);
  const config::Deployment& d = cfg_->model_list[e.index];
  Attempt a;
  a.deployment_id = d.id;
  a.jurisdiction = d.jurisdiction;
  a.deployment_index = e.index;
  a.started_unix_ms = now_unix_ms;
  a.probe = probe;
  a.fallback = e.group != 0;
  if (a.fallback) router.fallbacks.fetch_add(1, std::memory_order_relaxed);
  decision.attempts.push_back(a);
  open_ = true;
  current_ = chosen;
  started_ms_ = now_ms;
  return e.index;
}

size_t Route::Pick(const std::vector<size_t>& pool, Rng& rng, int64_t now_ms) {
  if (pool.size() == 1) return pool[0];
  auto state = [&](size_t i) -> DeploymentState& { return *(*states_)[eligible_[i].index]; };
  auto dep = [&](size_t i) -> const config::Deployment& { return cfg_->model_list[eligible_[i].index]; };
  // Weighted random among `among` (weights > 0, checked by config).
  auto weighted = [&](const std::vector<size_t>& among) {
    double total = 0;
    for (size_t i : among) total += dep(i).weight;
    double r = rng.Uniform() * total;
    for (size_t i : among) {
      r -= dep(i).weight;
      if (r < 0) return i;
    }
    return among.back();
  };
  // The members of the pool whose score is lowest, shuffled by weight.
  auto lowest = [&](auto score) {
    std::vector<double> scores;
    scores.reserve(pool.size());
    double low = std::numeric_limits<double>::infinity();
    for (size_t i : pool) {
      scores.push_back(score(i));
      low = std::min(low, scores.back());
    }
    std::vector<size_t> best;
    for (size_t k = 0; k < pool.size(); ++k) {
      if (scores[k] == low || scores[k] <= low + std::abs(low) * 1e-9) best.push_back(pool[k]);
    }
    return weighted(best);
  };

  switch (strategy_) {
    case Strategy::kShuffle:
      return weighted(pool);
    case Strategy::kCost:
      return lowest([&](size_t i) { return Price(dep(i)); });
    case Strategy::kLeastBusy:
      return lowest([&](size_t i) {
        return static_cast<double>(state(i).in_flight.load(std::memory_order_relaxed));
      });
    case Strategy::kUsage:
      return lowest([&](size_t i) { return Usage(dep(i), state(i), now_ms); });
    case Strategy::kLatency:
      break;
  }

  // Latency: PeakEWMA cost times (in flight + 1) over weight, as Finagle's and Linkerd's
  // balancers load a node; power of two choices (Mitzenmacher) between two random members so
  // that load spreads instead of herding onto the single best.
  auto load = [&](size_t i) {
    DeploymentState& s = state(i);
    const PeakEwma& ewma = stream_ ? s.ttfb_ms : s.ms_per_token;
    double in_flight = s.in_flight.load(std::memory_order_relaxed);
    if (!ewma.observed()) return in_flight == 0 ? 0.0 : kUnmeasuredBusyPenalty;
    return ewma.Cost(now_ms) * (in_flight + 1) / dep(i).weight;
  };
  // Not measured yet, or not measured for a long while: measure it.
  for (size_t i : pool) {
    DeploymentState& s = state(i);
    const PeakEwma& ewma = stream_ ? s.ttfb_ms : s.ms_per_token;
    if ((!ewma.observed() && s.in_flight.load(std::memory_order_relaxed) == 0) ||
        s.skipped.load(std::memory_order_relaxed) >=
            (s.peaked.load(std::memory_order_relaxed) ? kRecheckPeakAfter : kExploreAfter)) {
      exploring_ = ewma.observed();
      s.skipped.store(0, std::memory_order_relaxed);
      return i;
    }
  }
  double buffer = cfg_->router.lowest_latency_buffer;
  if (buffer > 0) {
    // routing_strategy_args.lowest_latency_buffer: every deployment within (1 + buffer) of the
    // best shares the traffic (by weight).
    double best = std::numeric_limits<double>::infinity();
    for (size_t i : pool) best = std::min(best, load(i));
    std::vector<size_t> near;
    for (size_t i : pool) {
      if (load(i) <= best * (1 + buffer)) near.push_back(i);
      else state(i).skipped.fetch_add(1, std::memory_order_relaxed);
    }
    return weighted(near);
  }
  size_t a = static_cast<size_t>(rng.Next() % pool.size());
  size_t b = static_cast<size_t>(rng.Next() % (pool.size() - 1));
  if (b >= a) ++b;
  size_t win = load(pool[a]) <= load(pool[b]) ? pool[a] : pool[b];
  size_t lose = win == pool[a] ? pool[b] : pool[a];
  state(lose).skipped.fetch_add(1, std::memory_order_relaxed);
  return win;
}

void Route::End(AttemptOutcome outcome, int upstream_status, double latency_ms,
                int64_t retry_after_ms, uint64_t tokens, int64_t now_ms) {
  if (!open_) return;
  open_ = false;
  Eligible& e = eligible_[current_];
  DeploymentState& s = *(*states_)[e.index];
  Attempt& a = decision.attempts.back();
  a.outcome = outcome;
  a.upstream_status = upstream_status;
  a.duration_ms = now_ms - started_ms_;
  s.in_flight.fetch_sub(1, std::memory_order_relaxed);
  s.attempts_by_outcome[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  if (tokens > 0) s.CountTokens(tokens, now_ms);

  const bool failed = outcome == AttemptOutcome::kRetryableStatus ||
                      outcome == AttemptOutcome::kConnectError || outcome == AttemptOutcome::kTimeout;
  if (failed) s.CountFailure(now_ms);
  if (outcome == AttemptOutcome::kOk || outcome == AttemptOutcome::kRejected) {
    s.RecordLatency(static_cast<double>(a.duration_ms));
  }
  if (outcome == AttemptOutcome::kOk && latency_ms >= 0) {
    PeakEwma& ewma = stream_ ? s.ttfb_ms : s.ms_per_token;
    if (exploring_) {
      ewma.Reset(latency_ms, now_ms);
      s.peaked.store(false, std::memory_order_relaxed);
    } else {
      if (ewma.observed() && latency_ms > 2 * ewma.Last()) s.peaked.store(true, std::memory_order_relaxed);
      ewma.Observe(latency_ms, now_ms);
    }
    s.skipped.store(0, std::memory_order_relaxed);
  } else if (outcome == AttemptOutcome::kTimeout) {
    // A timeout is the slowest answer there is: the peak term sees it at once.
    double elapsed = static_cast<double>(a.duration_ms);
    (stream_ ? s.ttfb_ms : s.ms_per_token).Observe(elapsed, now_ms);
  }
  if (outcome == AttemptOutcome::kCancelled || outcome == AttemptOutcome::kNotExpressible) {
    if (a.probe) s.ReleaseProbe();  // no verdict: the next request probes
    return;
  }
  // A 400 says nothing about the deployment's health, but a probe that got any answer shows
  // the deployment is up.
  const config::RouterSettings& rs = cfg_->router;
  s.OnResult(failed, failed ? retry_after_ms : 0, a.probe, rs.allowed_fails,
             static_cast<int64_t>(rs.cooldown_time_s * 1000), now_ms);
}

}  // namespace edge::routing
