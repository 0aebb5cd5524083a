#pragma once

// The node's side of the federation (docs/federation.md): a thread with its own libuv loop
// that owns the federation::Gossiper (federation/gossiper.h, sans-IO) and moves its frames
// over one TCP port (federation.listen), optionally in mutual TLS. Every interval_ms it
// feeds the gossiper what changed locally (the ledger's usage summary, the audit chain head
// and latest signed digest), ticks it, and starts exchanges with the peers it picks (seeds
// from federation.peers, re-resolved by DNS every kSeedRefreshMs; a name may have several
// addresses). Connections are reused between rounds, in both directions.
//
// Threads: Start() and Stop() on the main thread. The gossip loop thread owns the transport.
// The admin listener (main thread) reads the views through the accessors below, which take a
// mutex shared with the gossip thread only; the request path never does: global budgets read
// per-account atomics (ledger::Account::SetRemoteSpent) that the gossip thread writes.

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "federation/federation.h"
#include "ledger/audit_log.h"
#include "ledger/budgets.h"
#include "ledger/store.h"
#include "ledger/usage_summary.h"

namespace edge::gossip {

class GossipLoop;

// What the gossip thread reads from the rest of the node. Pointers are not owned and must
// outlive the service (serve stops it before the ledger goes).
struct GossipInputs {
  ledger::UsageSummary* summary = nullptr;  // null: no usage is published
  const ledger::AuditLog* audit = nullptr;  // null: no chain head is published
  const ledger::Store* store = nullptr;     // where the latest digest line is read
  ledger::BudgetBook* budgets = nullptr;    // null: global budgets see no remote spend
};

// Counters of the transport (the gossiper's own frame counters are in federation::FrameStats).
struct TransportStats {
  uint64_t connections_opened = 0, connections_accepted = 0, connect_failures = 0;
  uint64_t blocked_drops = 0;  // connections refused or cut by the test-only blocking switch
};

class GossipService {
 public:
  // Checks the options (federation::ValidateGossipOptions), loads the TLS files, binds
  // federation.listen (the port is taken before Start so that errors stop start-up).
  // `admin_url` is the admin listener's base URL (peers show it; witnesses are fetched there).
  static Result<std::unique_ptr<GossipService>> Create(const config::Config& cfg,
                                                       std::string admin_url,
                                                       GossipInputs inputs);
  ~GossipService();  // Stop()
  GossipService(const GossipService&) = delete;
  GossipService& operator=(const GossipService&) = delete;

  // Starts the gossip thread.
  Status Start();
  // Closes every connection and handle, then joins the thread. Idempotent.
  void Stop();

  const std::string& advertise() const { return advertise_; }
  int64_t generation() const { return generation_; }
  const std::string& node_id() const { return node_id_; }

  // Views for the admin listener (copies, taken under the gossip mutex).
  std::vector<federation::MemberInfo> Members() const;
  federation::GlobalUsage Usage() const;
  std::vector<federation::WitnessEntry> Witnessed(const std::string& origin) const;
  federation::FrameStats frame_stats() const;
  TransportStats transport_stats() const;
  // Prometheus lines: frames in/out by result, bytes, members by state, connections.
  std::string RenderMetrics() const;

 private:
  friend class GossipLoop;
  GossipService() = default;

  std::string node_id_, advertise_;
  int64_t generation_ = 0;
  std::unique_ptr<GossipLoop> loop_;
  std::thread thread_;
  bool started_ = false, stopped_ = false;
};

// The test-only blocking switch (docs/federation.md, "Testing partitions"): when the
// environment variable LLM_EDGE_TEST_GOSSIP_BLOCK_FILE names a file, gossip is cut off
// (no exchange started, accepted connections closed, frames dropped) while that file exists.
// Unset in production: the switch costs nothing then.
inline constexpr char kBlockFileEnv[] = "LLM_EDGE_TEST_GOSSIP_BLOCK_FILE";

}  // namespace edge::gossip
