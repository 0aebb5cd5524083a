#include "node/admin/ledger_endpoints.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/utc_time.h"
#include "ledger/spend.h"
#include "node/admin/federation_endpoints.h"
#include "node/admin/query_params.h"
#include "node/gossip/gossip_service.h"
#include "node/admin/spend_json.h"
#include "node/pipeline/error_reply.h"

namespace edge::admin {
namespace {

Answer Bad(int status, const std::string& message) {
  return {status, pipeline::OpenAiErrorBody(status, message, "invalid_spend_query")};
}

std::string Param(const QueryParams& q, const char* name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

void Line(std::string& out, std::string_view name, const ledger::Account& a, int64_t value) {
  out.append(name).append("{kind=\"").append(a.kind()).append("\",name=\"");
  for (char c : a.name()) {  // names are tag values or key ids; escape anyway
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  out.append("\"} ").append(std::to_string(value)).push_back('\n');
}

void Counter(std::string& out, const char* name, const char* help, uint64_t v) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name);
  out.append(" counter\n").append(name).append(" ").append(std::to_string(v)).push_back('\n');
}

}  // namespace

Answer SpendAnswer(std::string_view target, const config::Config& cfg,
                   const runtime::LedgerService* ledger, int64_t now_wall,
                   const gossip::GossipService* gossip) {
  Result<QueryParams> q = ParseQuery(target);
  if (!q.ok()) return Bad(400, q.status().message());
  for (const auto& [name, value] : *q) {
    if (name != "group_by" && name != "period" && name != "from" && name != "to" &&
        name != "scope") {
      return Bad(400, "Unknown parameter '" + name + "' (group_by, period, from, to, scope).");
    }
  }
  std::string scope = Param(*q, "scope");
  if (scope.empty()) scope = "local";
  if (scope != "local" && scope != "global") {
    return Bad(400, "scope is local or global, not '" + scope + "'.");
  }
  if (scope == "global" && gossip == nullptr) {
    return Bad(400, "scope=global needs the federation: this node has no federation.listen.");
  }
  if (scope == "local" && ledger == nullptr) return Bad(503, "This node has no ledger.");
  ledger::SpendQuery query;
  Status s = ledger::ParseGroupBy(Param(*q, "group_by"), &query);
  if (!s.ok()) return Bad(400, s.message());
  std::optional<int64_t> from, to;
  if (std::string f = Param(*q, "from"); !f.empty()) {
    Result<int64_t> t = ParseUtcTime(f);
    if (!t.ok()) return Bad(400, "from: " + t.status().message());
    from = *t;
  }
  if (std::string e = Param(*q, "to"); !e.empty()) {
    Result<int64_t> t = ParseUtcTimeEnd(e);
    if (!t.ok()) return Bad(400, "to: " + t.status().message());
    to = *t;
  }
  s = ledger::SetWindow(Param(*q, "period"), from, to, now_wall, &query);
  if (!s.ok()) return Bad(400, s.message());
  std::string period = query.label;
  if (period.empty()) {
    period = (from ? FormatRfc3339Micros(*from) : std::string()) + "/" +
             (to ? FormatRfc3339Micros(*to) : std::string());
  }
  if (scope == "global") {
    std::vector<RegionFreshness> regions;
    Result<ledger::SpendResult> g = GlobalSpend(gossip->Usage(), query, &regions);
    if (!g.ok()) return Bad(400, g.status().message());
    return {200, RenderSpendJson(query.group_by, period, scope, *g, &regions)};
  }
  Result<ledger::SpendResult> r =
      ledger::QuerySpend(const_cast<runtime::LedgerService*>(ledger)->store(), query,
                         cfg.node.region);
  if (!r.ok()) return Bad(503, "The ledger could not be read: " + r.status().message());
  return {200, RenderSpendJson(query.group_by, period, scope, *r)};
}

Answer LedgerNotReady(const runtime::LedgerService& ledger) {
  const bool refuse = ledger.refuse_on_error();
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("status");
  w.String(refuse ? "ledger_unavailable" : "ready");
  if (!refuse) {
    w.Key("ledger");
    w.String("failing");
  }
  w.Key("ledger_error");
  std::string error = ledger.last_error();
  w.String(error.data(), static_cast<rapidjson::SizeType>(error.size()));
  w.EndObject();
  return {refuse ? 503 : 200, std::string(sb.GetString(), sb.GetSize())};
}

std::string LedgerMetrics(const runtime::LedgerService& ledger) {
  std::string out;
  auto accounts = ledger.budgets().All();
  out.append("# HELP llm_edge_budget_spent_micro_usd Spent this month per key and team.\n");
  out.append("# TYPE llm_edge_budget_spent_micro_usd gauge\n");
  for (const ledger::Account* a : accounts) Line(out, "llm_edge_budget_spent_micro_usd", *a, a->spent_micros());
  out.append("# HELP llm_edge_budget_reserved_micro_usd Reserved by requests in flight.\n");
  out.append("# TYPE llm_edge_budget_reserved_micro_usd gauge\n");
  for (const ledger::Account* a : accounts) {
    Line(out, "llm_edge_budget_reserved_micro_usd", *a, a->reserved_micros());
  }
  out.append("# HELP llm_edge_budget_limit_micro_usd Monthly budget per key and team.\n");
  out.append("# TYPE llm_edge_budget_limit_micro_usd gauge\n");
  for (const ledger::Account* a : accounts) {
    if (auto b = a->budget_micros()) Line(out, "llm_edge_budget_limit_micro_usd", *a, *b);
  }
  out.append("# HELP llm_edge_budget_global_limit_micro_usd Monthly budget across all regions.\n");
  out.append("# TYPE llm_edge_budget_global_limit_micro_usd gauge\n");
  for (const ledger::Account* a : accounts) {
    if (auto b = a->global_budget_micros()) {
      Line(out, "llm_edge_budget_global_limit_micro_usd", *a, *b);
    }
  }
  out.append("# HELP llm_edge_budget_remote_spent_micro_usd Spent this month by the other nodes "
             "of the federation, as merged here (accounts with a global budget).\n");
  out.append("# TYPE llm_edge_budget_remote_spent_micro_usd gauge\n");
  for (const ledger::Account* a : accounts) {
    if (a->global_budget_micros()) {
      Line(out, "llm_edge_budget_remote_spent_micro_usd", *a, a->remote_spent_micros());
    }
  }
  const runtime::LedgerCounters& c = ledger.counters();
  Counter(out, "llm_edge_ledger_records_total", "Request records written to the ledger.",
          c.records.load());
  Counter(out, "llm_edge_ledger_write_failures_total", "Request records the store refused.",
          c.write_failures.load());
  Counter(out, "llm_edge_ledger_unbilled_requests_total",
          "Requests served although their record could not be written (ledger.on_error: serve).",
          c.unbilled.load());
  Counter(out, "llm_edge_ledger_refused_requests_total",
          "Requests refused with 503 while the store failed (ledger.on_error: refuse).",
          c.refused_store.load());
  Counter(out, "llm_edge_budget_refusals_total", "Requests refused for a used-up budget.",
          c.budget_refusals.load());
  Counter(out, "llm_edge_rate_limit_refusals_total", "Requests refused for rpm or tpm.",
          c.rate_refusals.load());
  Counter(out, "llm_edge_budget_soft_warnings_total", "Soft budget thresholds crossed.",
          c.soft_warnings.load());
  out.append("# HELP llm_edge_ledger_healthy 1 while the ledger store accepts writes.\n");
  out.append("# TYPE llm_edge_ledger_healthy gauge\nllm_edge_ledger_healthy ");
  out.append(ledger.healthy() ? "1\n" : "0\n");
  return out;
}

}  // namespace edge::admin
