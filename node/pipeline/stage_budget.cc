// Budgets and rate limits, before routing (DESIGN.md "Budgets"): the key's and the team's
// monthly budget (reserve-then-settle, ledger/budgets.h), then their rpm and tpm buckets.
// A refusal is 429 naming what was hit, with Retry-After. Also where a failing ledger store
// refuses requests (ledger.on_error: refuse) with 503.

#include <algorithm>
#include <string>

#include "common/clock.h"
#include "common/utc_time.h"
#include "node/pipeline/error_reply.h"
#include "node/pipeline/stages.h"
#include "node/runtime/ledger_service.h"
#include "providers/usage_estimate.h"

namespace edge::pipeline {
namespace {

// The output a request without max_tokens is assumed to produce, for its reservation.
constexpr int64_t kDefaultOutputTokens = 1024;

bool Limited(const ledger::Account* a) {
  return a != nullptr && (a->budget_micros() || a->global_budget_micros() || a->soft_micros() ||
                          a->tpm() != nullptr);
}

// Tokens the request may use: its prompt counted from the body, plus its max_tokens (or a
// default). Asked only for accounts that need it (most keys have no budget); a body the
// inspection parsed (stage_body) was counted then, any other is parsed here.
int64_t EstimateTokens(const RequestContext& ctx, int64_t* output_tokens) {
  const providers::RequestEstimate e = ctx.body_estimate
                                           ? *ctx.body_estimate
                                           : providers::EstimateRequest(CanonicalBody(ctx));
  *output_tokens = 0;
  if (ctx.api == Api::kEmbeddings) return e.prompt_tokens;
  *output_tokens = e.max_output_tokens.value_or(kDefaultOutputTokens);
  return e.prompt_tokens + *output_tokens;
}

// The most any deployment of the alias charges for these tokens: the reservation must not
// be lower than what the router may pick.
int64_t EstimateMicros(const RequestContext& ctx, int64_t input, int64_t output) {
  const config::Config& cfg = ctx.snapshot->config;
  auto it = cfg.deployments_by_alias.find(ctx.request.model);
  if (it == cfg.deployments_by_alias.end()) return 0;
  int64_t most = 0;
  for (size_t i : it->second) {
    const config::Deployment& d = cfg.model_list[i];
    if (d.price) most = std::max(most, CostOf({input, output, 0}, *d.price).micros());
  }
  return most;
}

std::string RetryAfterSeconds(int64_t micros) {
  return std::to_string(std::max<int64_t>(1, (micros + 999'999) / 1'000'000));
}

Next RefuseBudget(RequestContext& ctx, const ledger::Account& a, int64_t now_wall) {
  ctx.services.ledger->counters().budget_refusals.fetch_add(1, std::memory_order_relaxed);
  int64_t reset = ledger::NextMonthStartMicros(now_wall);
  std::string msg;
  if (a.GlobalExhausted()) {
    // budget_usd_monthly_global: this node's spend plus what the federation says the others
    // spent (docs/federation.md, "Global budgets").
    msg = "Global monthly budget of " + a.kind() + " '" + a.name() + "' ($" +
          Money::FromMicros(a.global_budget_micros().value_or(0)).ToString() +
          ") is used up: spent $" +
          Money::FromMicros(a.spent_micros() + a.remote_spent_micros()).ToString() +
          " this month across all regions. It resets at " + FormatRfc3339Micros(reset) + ".";
  } else {
    msg = "Monthly budget of " + a.kind() + " '" + a.name() + "' ($" +
          Money::FromMicros(a.budget_micros().value_or(0)).ToString() +
          ") is used up: spent $" + Money::FromMicros(a.spent_micros()).ToString() +
          " this month. It resets at " + FormatRfc3339Micros(reset) + ".";
  }
  ReplyError(ctx, {Code::kResourceExhausted, msg}, "budget_exceeded",
             RetryAfterSeconds(reset - now_wall));
  return Next::kReplied;
}

Next RefuseRate(RequestContext& ctx, const ledger::Account& a, const char* what, int64_t wait) {
  ctx.services.ledger->counters().rate_refusals.fetch_add(1, std::memory_order_relaxed);
  ledger::RateLimit* limit = std::string_view(what) == "rpm" ? a.rpm() : a.tpm();
  std::string msg = "Rate limit of " + a.kind() + " '" + a.name() + "' reached: " +
                    std::to_string(limit != nullptr ? limit->per_minute() : 0) + " " +
                    (std::string_view(what) == "rpm" ? "requests" : "tokens") +
                    " per minute. Retry after " + RetryAfterSeconds(wait) + " s.";
  ReplyError(ctx, {Code::kResourceExhausted, msg}, "rate_limit_exceeded", RetryAfterSeconds(wait));
  return Next::kReplied;
}

}  // namespace

Next CheckBudget(RequestContext& ctx) {
  runtime::LedgerService* ledger = ctx.services.ledger;
  if (ledger == nullptr) return Next::kContinue;
  const int64_t now_mono = NowMicros();
  if (!ledger->healthy() && ledger->refuse_on_error()) {
    ledger->MaybeProbe(now_mono);
    ledger->counters().refused_store.fetch_add(1, std::memory_order_relaxed);
    // kFailedPrecondition is 503: this node cannot serve now, another may.
    ReplyError(ctx, {Code::kFailedPrecondition,
                     "The ledger store is failing and this node is configured "
                     "(ledger.on_error: refuse) not to serve unbilled requests."},
               "ledger_unavailable");
    return Next::kReplied;
  }
  ledger::Account* key = ledger->budgets().Find("key", ctx.key->id);
  // A key's configured team owns its budget: X-Edge-Team only tags the spend, it cannot move
  // a request onto or off another team's budget. Keys without a team use the request's tag.
  const std::string& budget_team = ctx.key->team.empty() ? ctx.tags.team : ctx.key->team;
  ledger::Account* team =
      budget_team.empty() ? nullptr : ledger->budgets().Find("team", budget_team);
  if (key == nullptr && team == nullptr) return Next::kContinue;
  const int64_t now_wall = SystemClock().WallMicros();
  const int32_t month = ledger::MonthIndex(now_wall);

  int64_t output = 0, tokens = 0, estimate = 0;
  if (Limited(key) || Limited(team)) {
    tokens = EstimateTokens(ctx, &output);
    estimate = EstimateMicros(ctx, tokens - output, output);
  }
  // Rates first: a request refused for its rate must not hold budget.
  for (ledger::Account* a : {key, team}) {
    if (a == nullptr) continue;
    if (ledger::RateLimit* rpm = a->rpm()) {
      if (int64_t wait = rpm->TryTake(1, now_mono)) return RefuseRate(ctx, *a, "rpm", wait);
    }
    if (ledger::RateLimit* tpm = a->tpm()) {
      if (int64_t wait = tpm->TryTake(tokens, now_mono)) return RefuseRate(ctx, *a, "tpm", wait);
    }
  }
  // A request refused for its budget gives back the tokens it took from the tpm buckets.
  auto refuse = [&](const ledger::Account& which) {
    for (ledger::Account* a : {key, team}) {
      if (a != nullptr && a->tpm() != nullptr) a->tpm()->Adjust(-tokens);
    }
    return RefuseBudget(ctx, which, now_wall);
  };
  if (key != nullptr) {
    key->RollOver(month);
    if (!key->TryReserve(estimate)) return refuse(*key);
  }
  if (team != nullptr) {
    team->RollOver(month);
    if (!team->TryReserve(estimate)) {
      if (key != nullptr) key->Unreserve(estimate);
      return refuse(*team);
    }
  }
  ctx.budget = {key, team, estimate, tokens};
  return Next::kContinue;
}

}  // namespace edge::pipeline
