#include "node/pipeline/audit_record.h"

#include "common/clock.h"
#include "geo/geo.h"
#include "node/runtime/ledger_service.h"

namespace edge::pipeline {
namespace {

// The alias when the config has it: the record never keeps a client's arbitrary text.
std::string_view ModelOf(const RequestContext& ctx, const config::Config* cfg) {
  const std::string& model = ctx.request.model;
  if (model.empty() || cfg == nullptr) return {};
  return cfg->deployments_by_alias.contains(model) ? std::string_view(model) : "_unknown";
}

}  // namespace

ledger::AuditRecordRef AuditRecordOf(const RequestContext& ctx, int64_t now_wall_us,
                                     AuditRecordScratch* scratch) {
  const config::Config* cfg = ctx.snapshot != nullptr ? &ctx.snapshot->config : nullptr;
  ledger::AuditRecordRef r;
  r.time_us = now_wall_us;
  r.request_id = ctx.request_id;
  if (cfg != nullptr) {
    r.node = cfg->node.id;
    if (!ledger::ParseCallerIpMode(cfg->audit.caller_ip, &r.caller_ip)) {
      r.caller_ip = ledger::CallerIpMode::kTruncate;  // unreachable: config validated it
    }
  }
  if (ctx.key != nullptr) r.key_id = ctx.key->id;
  scratch->caller = geo::ToString(ctx.caller_address);
  r.caller = scratch->caller;
  r.country = ctx.caller_country.view();
  r.jurisdiction = ctx.jurisdiction.name;
  r.jurisdiction_source = ctx.jurisdiction.source;
  if (cfg != nullptr) {
    auto it = cfg->jurisdictions.find(ctx.jurisdiction.name);
    if (it != cfg->jurisdictions.end() && it->second.pinned) r.residency = it->first;
  }
  r.model = ModelOf(ctx, cfg);
  const routing::Decision& d = ctx.route.decision;
  scratch->candidates.resize(d.candidates.size());
  for (size_t i = 0; i < d.candidates.size(); ++i) {
    const routing::Candidate& c = d.candidates[i];
    scratch->candidates[i] = {c.deployment_id, c.jurisdiction,
                              c.excluded == routing::Exclusion::kNone
                                  ? std::string_view()
                                  : routing::ExclusionName(c.excluded)};
  }
  r.candidates = scratch->candidates;
  scratch->attempts.resize(d.attempts.size());
  for (size_t i = 0; i < d.attempts.size(); ++i) {
    const routing::Attempt& a = d.attempts[i];
    scratch->attempts[i] = {a.deployment_id, a.jurisdiction, routing::AttemptOutcomeName(a.outcome),
                            a.upstream_status, a.duration_ms};
  }
  r.attempts = scratch->attempts;
  r.status = ctx.reply_status;
  r.outcome = ctx.outcome.ok() ? std::string_view("ok") : CodeName(ctx.outcome.code());
  return r;
}

void AddAuditRecord(RequestContext& ctx) {
  runtime::LedgerService* ledger = ctx.services.ledger;
  if (ledger == nullptr || ledger->audit() == nullptr || ctx.key == nullptr ||
      ctx.api == Api::kModels) {
    return;
  }
  // Encoded straight from the context's own strings; the scratch keeps its memory from request
  // to request, so a record costs the worker no allocation beyond its encoding.
  thread_local AuditRecordScratch scratch;
  ctx.commit_parts.push_back(
      ledger->audit()->MakeCommitPart(AuditRecordOf(ctx, SystemClock().WallMicros(), &scratch)));
}

}  // namespace edge::pipeline
