#include <string>

#include "node/pipeline/access_line.h"
#include "node/pipeline/audit_record.h"
#include "node/pipeline/ledger_commit.h"
#include "node/pipeline/stages.h"
#include "node/runtime/log.h"

namespace edge::pipeline {
namespace {

runtime::Outcome OutcomeOf(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return runtime::Outcome::kOk;
    case Code::kCancelled:
      return runtime::Outcome::kCancelled;
    case Code::kDeadlineExceeded:
      return runtime::Outcome::kTimeout;
    case Code::kUnauthenticated:
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kPermissionDenied:
      return runtime::Outcome::kRejected;
    default:
      return runtime::Outcome::kError;
  }
}

// The model label of a request's metrics: the alias when the config has it. Anything else
// is the client's own text (up to the whole body), which a series would keep for the life
// of the process and every scrape would carry: one fixed label counts all of it.
std::string_view ModelLabel(const RequestContext& ctx) {
  const std::string& model = ctx.request.model;
  if (model.empty()) return {};  // refused before a model was read
  if (ctx.snapshot != nullptr && ctx.snapshot->config.deployments_by_alias.contains(model)) {
    return model;
  }
  return runtime::kUnknownModelLabel;
}

}  // namespace

// Records how the request ended: the ledger record (ledger_commit.cc: budget settled,
// record and roll-ups written before the response's last bytes go out), the usage, cost and
// latency counters (GET /metrics), the access log line (log.access), and a log line for
// failures the node or its upstreams caused and for bills the node had to estimate. Other modules' parts of the commit (the audit record)
// are added to ctx.commit_parts before this runs.
void Finalize(RequestContext& ctx) {
  ctx.StopOwnTime();
  const int64_t now_us = NowMicros();
  const runtime::Outcome outcome = OutcomeOf(ctx.outcome);
  // Both arms views: a std::string arm would make the view point into a temporary.
  const std::string_view deployment =
      ctx.deployment != nullptr ? std::string_view(ctx.deployment->id) : std::string_view();
  ledger::Record ledger_record = BuildRecord(ctx, ModelLabel(ctx));
  const int64_t cost_micros = ledger_record.cost_micros;
  const bool unpriced = !ledger_record.priced;
  AddAuditRecord(ctx);  // joins the commit below (audit_record.cc)
  CommitToLedger(ctx, std::move(ledger_record));
  {
    runtime::RequestRecord record;
    record.team = ctx.tags.team;
    record.feature = ctx.tags.feature;
    record.env = ctx.tags.env;
    record.model = ModelLabel(ctx);
    record.deployment = deployment;
    record.outcome = outcome;
    record.usage = ctx.usage ? &*ctx.usage : nullptr;
    record.cost_micros = cost_micros;
    record.jurisdiction = ctx.jurisdiction.name;
    record.status = ctx.head_sent_us != 0 ? ctx.reply_status : 0;
    record.attempts = ctx.attempts;
    if (ctx.started_us != 0) {
      record.total_us = now_us - ctx.started_us;
      if (ctx.head_sent_us != 0) record.first_byte_us = ctx.head_sent_us - ctx.started_us;
    }
    record.overhead_us = ctx.reply_overhead_us;
    if (ctx.services.metrics != nullptr) ctx.services.metrics->Record(record);
    if (runtime::AccessLog::Buffer* access = ctx.services.access_log) {
      AppendAccessLine(ctx, record, access->text());
      access->LineAdded();
    }
  }
  if (unpriced) {
    log::Warn("usage of a deployment with no known price", {{"request_id", ctx.request_id},
                                                            {"deployment", deployment}});
  }
  if (ctx.usage && !ctx.usage->reported) {
    log::Info("usage estimated", {{"request_id", ctx.request_id},
                                  {"deployment", deployment},
                                  {"outcome", runtime::kOutcomeNames[static_cast<size_t>(outcome)]},
                                  {"input_tokens", std::to_string(ctx.usage->input_tokens)},
                                  {"output_tokens", std::to_string(ctx.usage->output_tokens)}});
  }
  if (outcome == runtime::Outcome::kOk || outcome == runtime::Outcome::kRejected) return;
  log::Warn("request failed", {{"request_id", ctx.request_id},
                               {"deployment", deployment},
                               {"status", std::to_string(ctx.reply_status)},
                               {"upstream_status", std::to_string(ctx.upstream_status)},
                               {"error", ctx.outcome.ToString()}});
}

}  // namespace edge::pipeline
