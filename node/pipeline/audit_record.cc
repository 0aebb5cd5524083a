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

ledger::AuditRecord BuildAuditRecord(const RequestContext& ctx, int64_t now_wall_us) {
  const config::Config* cfg = ctx.snapshot != nullptr ? &ctx.snapshot->config : nullptr;
  ledger::AuditRecord r;
  r.time_us = now_wall_us;
  r.request_id = ctx.request_id;
  if (cfg != nullptr) {
    r.node = cfg->node.id;
    if (!ledger::ParseCallerIpMode(cfg->audit.caller_ip, &r.caller_ip)) {
      r.caller_ip = ledger::CallerIpMode::kTruncate;  // unreachable: config validated it
    }
  }
  if (ctx.key != nullptr) r.key_id = ctx.key->id;
  r.caller = geo::ToString(ctx.caller_address);
  r.country = std::string(ctx.caller_country.view());
  r.jurisdiction = ctx.jurisdiction.name;
  r.jurisdiction_source = ctx.jurisdiction.source;
  if (cfg != nullptr) {
    auto it = cfg->jurisdictions.find(ctx.jurisdiction.name);
    if (it != cfg->jurisdictions.end() && it->second.pinned) r.residency = it->first;
  }
  r.model = ModelOf(ctx, cfg);
  const routing::Decision& d = ctx.route.decision;
  r.candidates.reserve(d.candidates.size());
  for (const routing::Candidate& c : d.candidates) {
    r.candidates.push_back({std::string(c.deployment_id), std::string(c.jurisdiction),
                            c.excluded == routing::Exclusion::kNone
                                ? std::string()
                                : std::string(routing::ExclusionName(c.excluded))});
  }
  r.attempts.reserve(d.attempts.size());
  for (const routing::Attempt& a : d.attempts) {
    r.attempts.push_back({std::string(a.deployment_id), std::string(a.jurisdiction),
                          std::string(routing::AttemptOutcomeName(a.outcome)), a.upstream_status,
                          a.duration_ms});
  }
  r.status = ctx.reply_status;
  r.outcome = ctx.outcome.ok() ? "ok" : std::string(CodeName(ctx.outcome.code()));
  return r;
}

void AddAuditRecord(RequestContext& ctx) {
  runtime::LedgerService* ledger = ctx.services.ledger;
  if (ledger == nullptr || ledger->audit() == nullptr || ctx.key == nullptr || ctx.api == Api::kModels) {
    return;
  }
  ctx.commit_parts.push_back(
      ledger->audit()->MakeCommitPart(BuildAuditRecord(ctx, SystemClock().WallMicros())));
}

}  // namespace edge::pipeline
