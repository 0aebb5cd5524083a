#pragma once

// GET /admin/audit?from=&to=: the same JSON lines as `llm-edge audit export` (records and
// digests, ledger/audit_store.h), newline-terminated, as application/x-ndjson. Times are
// RFC 3339 or YYYY-MM-DD (UTC; a date `to` includes its day). Runs on the admin loop.

#include "config/config.h"
#include "ledger/store.h"
#include "node/net/http_server.h"

namespace edge::admin {

// Answers the exchange: 200 with the lines, 400 for a bad time, 503 without a store.
void ServeAuditExport(net::ServerExchange& ex, const config::Config& cfg, const ledger::Store* store);

}  // namespace edge::admin
