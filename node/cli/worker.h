#pragma once

// One worker: a thread with its own libuv loop, its own HttpServer on the shared
// SO_REUSEPORT client port, its own upstream pool. A connection never leaves its worker.

#include <uv.h>

#include <functional>
#include <memory>
#include <thread>

#include "ledger/loop_job.h"
#include "node/net/http_server.h"
#include "node/net/upstream_client.h"
#include "node/pipeline/pipeline.h"
#include "node/runtime/access_log.h"
#include "node/runtime/deferred_delete.h"
#include "node/runtime/snapshot.h"
#include "node/runtime/usage_metrics.h"

namespace edge::runtime {
class LedgerService;
}

namespace edge::cli {

class Worker {
 public:
  // `listen_fd` is this worker's own listening socket (bound to the shared port).
  // `on_exit` runs on the worker thread when its loop has closed everything.
  Worker(int index, const runtime::SnapshotSource* snapshots, int listen_fd,
         net::ServerOptions options, runtime::UsageMetrics::Shard* metrics,
         runtime::LedgerService* ledger, runtime::AccessLog* access_log,
         std::function<void()> on_exit);
  ~Worker();  // joins

  Status Start();
  // Thread-safe: stop accepting, let in-flight requests finish for `grace_ms`, then close.
  void Shutdown(uint32_t grace_ms);

 private:
  void Run();
  void BeginShutdown();
  void CloseAll();

  int index_;
  const runtime::SnapshotSource* snapshots_;
  int listen_fd_;
  net::ServerOptions options_;
  runtime::UsageMetrics::Shard* metrics_;
  runtime::LedgerService* ledger_;  // null: no ledger
  runtime::AccessLog* access_log_;  // null: log.access off
  std::function<void()> on_exit_;

  uv_loop_t loop_{};
  uv_async_t shutdown_async_{};
  uv_timer_t deadline_{};
  std::atomic<uint32_t> grace_ms_{0};
  std::unique_ptr<runtime::DeferredDeleter> deleter_;
  std::unique_ptr<runtime::SnapshotCache> snapshot_cache_;  // the requests' snapshot
  std::unique_ptr<ledger::LoopInbox> ledger_inbox_;  // records written, back on this loop
  std::unique_ptr<runtime::AccessLog::Buffer> access_buffer_;  // this loop's access log lines
  std::unique_ptr<net::UpstreamClient> upstream_;
  std::unique_ptr<pipeline::ClientApiHandler> handler_;
  std::unique_ptr<net::HttpServer> server_;
  std::thread thread_;
  bool closing_ = false;
};

}  // namespace edge::cli
