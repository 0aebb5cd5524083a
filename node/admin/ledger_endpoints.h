#pragma once

// The admin API's ledger parts: GET /admin/spend, the ledger's lines of /metrics and of
// /readyz. Pure functions of the request and the ledger; admin_handler.cc sends the answers.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "node/runtime/ledger_service.h"

namespace edge::gossip {
class GossipService;
}

namespace edge::admin {

struct Answer {
  int status = 200;
  std::string body;  // JSON
};

// GET /admin/spend?group_by=&period=|from=&to=&scope=local|global (docs/ledger.md;
// scope=global: docs/federation.md, needs `gossip`).
Answer SpendAnswer(std::string_view target, const config::Config& cfg,
                   const runtime::LedgerService* ledger, int64_t now_wall_micros,
                   const gossip::GossipService* gossip = nullptr);

// /readyz while the store fails: 503 {"status":"ledger_unavailable","ledger_error":...}
// when ledger.on_error is refuse (take the node out of the pool), else 200
// {"status":"ready","ledger":"failing","ledger_error":...} (it serves, unbilled).
Answer LedgerNotReady(const runtime::LedgerService& ledger);

// Prometheus lines: budget use per key and team, ledger write health and refusals.
std::string LedgerMetrics(const runtime::LedgerService& ledger);

}  // namespace edge::admin
