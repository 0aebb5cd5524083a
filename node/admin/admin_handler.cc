#include "node/admin/admin_handler.h"

#include "common/clock.h"
#include "config/key_hash.h"
#include "node/admin/audit_endpoint.h"
#include "node/admin/budgets_endpoint.h"
#include "node/admin/dashboard_assets.h"
#include "node/admin/federation_endpoints.h"
#include "node/gossip/gossip_service.h"
#include "node/admin/ledger_endpoints.h"
#include "node/net/basic_auth.h"
#include "node/pipeline/error_reply.h"
#include "node/runtime/access_log.h"

namespace edge::admin {
namespace {

// How long a ledger read waits for commits in flight (LedgerService::AwaitHandedOver): a
// round takes well under a millisecond; a store that stalls does not hold the admin API long.
constexpr int kLedgerCatchUpMs = 2000;

void ReplyJson(net::ServerExchange& ex, const config::Config& cfg, int status,
               std::string_view body) {
  net::HeaderList headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Edge-Request-Id", ex.request_id());
  headers.Add("X-Edge-Node", cfg.node.id);
  ex.Reply(status, headers, body);
}

// `Authorization: Bearer <admin key>`, or Basic with the admin key as the password (any
// user name) so that a browser can open /dashboard.
bool AdminKeyValid(const net::HeaderList& headers, const config::Config& cfg) {
  const std::string* auth = headers.Find("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth != nullptr && !cfg.admin.key_sha256.empty() && net::IsBasicScheme(*auth)) {
    Result<net::BasicCredentials> basic = net::ParseBasicAuth(*auth);
    return basic.ok() && !basic->password.empty() &&
           config::Sha256Hex(basic->password) == cfg.admin.key_sha256;
  }
  if (auth == nullptr || cfg.admin.key_sha256.empty() || auth->size() <= kBearer.size() ||
      !net::EqualsIgnoreCase(std::string_view(*auth).substr(0, kBearer.size()), kBearer)) {
    return false;
  }
  return config::Sha256Hex(std::string_view(*auth).substr(kBearer.size())) == cfg.admin.key_sha256;
}

// The page, its script and style (compiled in) and the chart library (from disk). The page
// loads nothing from elsewhere, and its Content-Security-Policy says so to the browser too.
void ServeDashboard(net::ServerExchange& ex, const config::Config& cfg) {
  std::string_view path = ex.request().path();
  net::HeaderList headers;
  headers.Add("X-Edge-Request-Id", ex.request_id());
  headers.Add("X-Edge-Node", cfg.node.id);
  headers.Add("Cache-Control", "no-store");
  headers.Add("X-Content-Type-Options", "nosniff");
  if (std::optional<DashboardFile> f = EmbeddedDashboardFile(path)) {
    headers.Add("Content-Type", std::string(f->content_type));
    headers.Add("Content-Security-Policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "frame-ancestors 'none'");
    ex.Reply(200, headers, f->body);
    return;
  }
  if (path == kChartLibraryPath) {
    Result<std::string> js = ReadChartLibrary();
    if (js.ok()) {
      headers.Add("Content-Type", "text/javascript; charset=utf-8");
      ex.Reply(200, headers, *js);
      return;
    }
    headers.Add("Content-Type", "application/json");
    ex.Reply(404, headers,
             pipeline::OpenAiErrorBody(404, js.status().message(), "dashboard_asset_missing"));
    return;
  }
  headers.Add("Content-Type", "application/json");
  ex.Reply(404, headers,
           pipeline::OpenAiErrorBody(404, "Unknown dashboard file " + std::string(path) + ".",
                                     "unknown_path"));
}

}  // namespace

void AdminHandler::OnRequest(net::ServerExchange& ex) {
  auto snap = snapshots_->Load();
  const config::Config& cfg = snap->config;
  std::string_view path = ex.request().path();
  bool get = ex.request().method == "GET" || ex.request().method == "HEAD";
  if (path == "/healthz" && get) {
    ReplyJson(ex, cfg, 200, R"({"status":"ok"})");
    return;
  }
  if (path == "/readyz" && get) {
    if (ready_->load(std::memory_order_acquire)) {
      // The store's health as of every commit handed over before (see AwaitHandedOver below).
      if (ledger_ != nullptr) ledger_->AwaitHandedOver(kLedgerCatchUpMs);
      if (ledger_ != nullptr && !ledger_->healthy()) {
        Answer a = LedgerNotReady(*ledger_);
        ReplyJson(ex, cfg, a.status, a.body);
        return;
      }
      ReplyJson(ex, cfg, 200, R"({"status":"ready"})");
    } else {
      ReplyJson(ex, cfg, 503, R"({"status":"draining"})");
    }
    return;
  }
  if (!AdminKeyValid(ex.request().headers, cfg)) {
    // The challenge makes a browser ask for the password (the admin key) and retry.
    net::HeaderList headers;
    headers.Add("Content-Type", "application/json");
    headers.Add("WWW-Authenticate", "Basic realm=\"llm-edge admin\", charset=\"UTF-8\"");
    headers.Add("X-Edge-Request-Id", ex.request_id());
    headers.Add("X-Edge-Node", cfg.node.id);
    ex.Reply(401, headers,
             pipeline::OpenAiErrorBody(
                 401,
                 "Admin endpoints need 'Authorization: Bearer <admin key>' (or Basic auth with "
                 "the admin key as the password).",
                 "invalid_admin_key"));
    return;
  }
  if (get && (path == "/dashboard" || path.substr(0, 11) == "/dashboard/")) {
    ServeDashboard(ex, cfg);
    return;
  }
  if (path == "/admin/budgets" && get) {
    Answer a = BudgetsAnswer(ledger_);
    ReplyJson(ex, cfg, a.status, a.body);
    return;
  }
  // Answers may go out before their records are written (the workers' journals,
  // docs/ledger.md): what reads the ledger first waits for the commits already handed over,
  // so that it counts every request answered before it was asked.
  if (ledger_ != nullptr && get &&
      (path == "/metrics" || path == "/admin/audit" || path == "/admin/spend")) {
    ledger_->AwaitHandedOver(kLedgerCatchUpMs);
  }
  if (path == "/metrics" && get) {
    net::HeaderList headers;
    headers.Add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    headers.Add("X-Edge-Request-Id", ex.request_id());
    headers.Add("X-Edge-Node", cfg.node.id);
    std::string text =
        metrics_->RenderPrometheus() + snap->router->RenderPrometheus(cfg, snap->routes);
    if (ledger_ != nullptr) text += LedgerMetrics(*ledger_);
    if (gossip_ != nullptr) text += gossip_->RenderMetrics();
    if (access_log_ != nullptr) text += access_log_->RenderPrometheus();
    ex.Reply(200, headers, text);
    return;
  }
  if (path == "/admin/audit" && get) {
    ServeAuditExport(ex, cfg, ledger_ != nullptr ? &ledger_->store() : nullptr);
    return;
  }
  if (path == "/admin/spend" && get) {
    Answer a =
        SpendAnswer(ex.request().target, cfg, ledger_, SystemClock().WallMicros(), gossip_);
    ReplyJson(ex, cfg, a.status, a.body);
    return;
  }
  if (path == "/admin/peers" && get) {
    Answer a = PeersAnswer(gossip_);
    ReplyJson(ex, cfg, a.status, a.body);
    return;
  }
  if (path == "/admin/witness" && get) {
    Answer a = WitnessAnswer(ex.request().target, gossip_);
    ReplyJson(ex, cfg, a.status, a.body);
    return;
  }
  if (path == "/admin/routes" && get) {
    ReplyJson(ex, cfg, 200,
              snap->router->RoutesJson(cfg, snap->routes, routing::NowMs(), routing::NowUnixMs()));
    return;
  }
  ReplyJson(ex, cfg, 404,
            pipeline::OpenAiErrorBody(404, "Unknown admin path " + std::string(path) + ".",
                                      "unknown_path"));
}

}  // namespace edge::admin
