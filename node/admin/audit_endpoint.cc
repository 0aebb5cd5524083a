#include "node/admin/audit_endpoint.h"

#include "common/utc_time.h"
#include "ledger/audit_store.h"
#include "node/admin/query_params.h"
#include "node/pipeline/error_reply.h"

namespace edge::admin {
namespace {

void Reply(net::ServerExchange& ex, const config::Config& cfg, int status,
           std::string_view content_type, std::string_view body) {
  net::HeaderList headers;
  headers.Add("Content-Type", content_type);
  headers.Add("X-Edge-Request-Id", ex.request_id());
  headers.Add("X-Edge-Node", cfg.node.id);
  ex.Reply(status, headers, body);
}

void Error(net::ServerExchange& ex, const config::Config& cfg, int status, const std::string& message,
           std::string_view code) {
  Reply(ex, cfg, status, "application/json", pipeline::OpenAiErrorBody(status, message, code));
}

}  // namespace

void ServeAuditExport(net::ServerExchange& ex, const config::Config& cfg, const ledger::Store* store) {
  Result<QueryParams> query = ParseQuery(ex.request().target);
  if (!query.ok()) return Error(ex, cfg, 400, query.status().message(), "invalid_query");
  ledger::TimeWindow window;
  for (const auto& [name, value] : *query) {
    Result<int64_t> t = name == "from" ? ParseUtcTime(value)
                        : name == "to" ? ParseUtcTimeEnd(value)
                                       : Result<int64_t>(InvalidArgument(
                                             "unknown parameter '" + name + "' (from, to)"));
    if (!t.ok()) return Error(ex, cfg, 400, name + ": " + t.status().message(), "invalid_query");
    (name == "from" ? window.from_us : window.to_us) = *t;
  }
  if (store == nullptr) return Error(ex, cfg, 503, "This node has no ledger store.", "no_store");
  std::string body;
  Status st = ledger::ExportAuditLog(*store, window, [&](std::string_view line) {
    body.append(line);
    body.push_back('\n');
  });
  if (!st.ok()) return Error(ex, cfg, 503, "Reading the audit log failed: " + st.message(), "store_error");
  Reply(ex, cfg, 200, "application/x-ndjson", body);
}

}  // namespace edge::admin
