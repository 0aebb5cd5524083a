#include "node/pipeline/audit_record.h"

#include "common/clock.h"
#include "geo/geo.h"
#include "node/runtime/ledger_service.h"

namespace edge::pipeline {
namespace {

// The alias when the config has it: the record never keeps a client's arbitrary text.
std::string ModelOf(const RequestContext& ctx, const config::Config* cfg) {
  const std::string& model = ctx.request.model;
  if (model.empty() || cfg == nullptr) return {};
  return cfg->deployments_by_alias.contains(model) ? model : "_unknown";
}

}  // namespace

void BuildAuditRecord(const RequestContext& ctx, int64_t now_wall_us, ledger::AuditRecord* out) {
  const config::Config* cfg = ctx.snapshot != nullptr ? &ctx.snapshot->config : nullptr;
  ledger::AuditRecord& r = *out;
  r.time_us = now_wall_us;
  r.request_id.assign(ctx.request_id);
  r.node.clear();
  r.caller_ip = ledger::CallerIpMode::kFull;
  if (cfg != nullptr) {
    r.node.assign(cfg->node.id);
    if (!ledger::ParseCallerIpMode(cfg->audit.caller_ip, &r.caller_ip)) {
      r.caller_ip = ledger::CallerIpMode::kTruncate;  // unreachable: config validated it
    }
  }
  r.key_id.assign(ctx.key != nullptr ? std::string_view(ctx.key->id) : std::string_view());
  r.caller = geo::ToString(ctx.caller_address);
  r.country.assign(ctx.caller_country.view());
  r.jurisdiction.assign(ctx.jurisdiction.name);
  r.jurisdiction_source.assign(ctx.jurisdiction.source);
  r.residency.clear();
  if (cfg != nullptr) {
    auto it = cfg->jurisdictions.find(ctx.jurisdiction.name);
    if (it != cfg->jurisdictions.end() && it->second.pinned) r.residency.assign(it->first);
  }
  r.model = ModelOf(ctx, cfg);
  const routing::Decision& d = ctx.route.decision;
  r.candidates.resize(d.candidates.size());
  for (size_t i = 0; i < d.candidates.size(); ++i) {
    const routing::Candidate& c = d.candidates[i];
    ledger::AuditCandidate& a = r.candidates[i];
    a.deployment.assign(c.deployment_id);
    a.jurisdiction.assign(c.jurisdiction);
    a.excluded.assign(c.excluded == routing::Exclusion::kNone
                          ? std::string_view()
                          : std::string_view(routing::ExclusionName(c.excluded)));
  }
  r.attempts.resize(d.attempts.size());
  for (size_t i = 0; i < d.attempts.size(); ++i) {
    const routing::Attempt& from = d.attempts[i];
    ledger::AuditAttempt& a = r.attempts[i];
    a.deployment.assign(from.deployment_id);
    a.jurisdiction.assign(from.jurisdiction);
    a.outcome.assign(routing::AttemptOutcomeName(from.outcome));
    a.status = from.upstream_status;
    a.latency_ms = from.duration_ms;
  }
  r.status = ctx.reply_status;
  r.outcome.assign(ctx.outcome.ok() ? std::string_view("ok") : CodeName(ctx.outcome.code()));
}

ledger::AuditRecord BuildAuditRecord(const RequestContext& ctx, int64_t now_wall_us) {
  ledger::AuditRecord r;
  BuildAuditRecord(ctx, now_wall_us, &r);
  return r;
}

void AddAuditRecord(RequestContext& ctx) {
  runtime::LedgerService* ledger = ctx.services.ledger;
  if (ledger == nullptr || ledger->audit() == nullptr || ctx.key == nullptr || ctx.api == Api::kModels) {
    return;
  }
  // Filled again for each request: its strings and lists keep their memory, so a record
  // costs the worker no allocation beyond its encoding.
  thread_local ledger::AuditRecord scratch;
  BuildAuditRecord(ctx, SystemClock().WallMicros(), &scratch);
  ctx.commit_parts.push_back(ledger->audit()->MakeCommitPart(scratch));
}

}  // namespace edge::pipeline
