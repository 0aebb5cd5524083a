#pragma once

// The admin listener: health for load balancers and DNS checks (no key), and the operator
// endpoints (admin key). Runs on the main thread's loop, never on a worker.

#include <atomic>

#include "node/net/http_server.h"
#include "node/runtime/snapshot.h"
#include "node/runtime/usage_metrics.h"

namespace edge::runtime {
class AccessLog;
class LedgerService;
}
namespace edge::gossip {
class GossipService;
}

namespace edge::admin {

class AdminHandler : public net::RequestHandler {
 public:
  AdminHandler(const runtime::SnapshotSource* snapshots, const std::atomic<bool>* ready,
               const runtime::UsageMetrics* metrics, const runtime::LedgerService* ledger = nullptr)
      : snapshots_(snapshots), ready_(ready), metrics_(metrics), ledger_(ledger) {}
  void OnRequest(net::ServerExchange& ex) override;
  // The federation (null: none). Set before the admin listener serves.
  void set_gossip(const gossip::GossipService* g) { gossip_ = g; }
  // The access log (null: log.access off), for its counters. Set before the listener serves.
  void set_access_log(const runtime::AccessLog* log) { access_log_ = log; }

 private:
  const runtime::SnapshotSource* snapshots_;
  const std::atomic<bool>* ready_;  // false before start and while draining
  const runtime::UsageMetrics* metrics_;
  const runtime::LedgerService* ledger_;  // null: no ledger
  const gossip::GossipService* gossip_ = nullptr;
  const runtime::AccessLog* access_log_ = nullptr;
};

}  // namespace edge::admin
