#include "node/cli/worker.h"

#include <pthread.h>

#include <cassert>
#include <string>

#include "node/runtime/bench_switches.h"
#include "node/runtime/ledger_service.h"
#include "node/runtime/log.h"

namespace edge::cli {

Worker::Worker(int index, const runtime::SnapshotSource* snapshots, int listen_fd,
               net::ServerOptions options, runtime::UsageMetrics::Shard* metrics,
               runtime::LedgerService* ledger, runtime::AccessLog* access_log,
               std::function<void()> on_exit)
    : index_(index),
      snapshots_(snapshots),
      listen_fd_(listen_fd),
      options_(std::move(options)),
      metrics_(metrics),
      ledger_(ledger),
      access_log_(access_log),
      on_exit_(std::move(on_exit)) {}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
}

Status Worker::Start() {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) return Internal(std::string("uv_loop_init: ") + uv_strerror(rc));
  uv_async_init(&loop_, &shutdown_async_, [](uv_async_t* a) {
    static_cast<Worker*>(a->data)->BeginShutdown();
  });
  shutdown_async_.data = this;
  uv_timer_init(&loop_, &deadline_);
  deadline_.data = this;

  deleter_ = std::make_unique<runtime::DeferredDeleter>(&loop_);
  snapshot_cache_ = std::make_unique<runtime::SnapshotCache>(*snapshots_);
  ledger_inbox_ = std::make_unique<ledger::LoopInbox>(&loop_);
  if (access_log_ != nullptr) {
    access_buffer_ = std::make_unique<runtime::AccessLog::Buffer>(*access_log_, &loop_);
  }
  upstream_ = net::UpstreamClient::Create(&loop_, net::PoolOptions{});
  handler_ = std::make_unique<pipeline::ClientApiHandler>(pipeline::WorkerServices{
      snapshots_, upstream_.get(), deleter_.get(), nullptr, metrics_, ledger_,
      ledger_ != nullptr && !runtime::BenchWithout("ledger") ? ledger_inbox_.get() : nullptr,
      access_buffer_.get(), snapshot_cache_.get(),
      ledger_ != nullptr ? ledger_->journal(static_cast<unsigned>(index_)) : nullptr});
  auto server = net::HttpServer::Create(&loop_, listen_fd_, options_, handler_.get());
  if (!server.ok()) {
    CloseAll();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    return server.status();
  }
  server_ = std::move(server).value();
  thread_ = std::thread([this] {
    // Named for top -H, perf and /proc (15 characters at most).
    std::string name = "edge-worker-" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    Run();
  });
  return Status::Ok();
}

void Worker::Run() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  server_.reset();
  // Lines of requests that ended while the loop closed; the buffer goes before the log.
  access_buffer_.reset();
  int rc = uv_loop_close(&loop_);
  if (rc != 0) log::Error("worker loop closed with open handles", {{"error", uv_strerror(rc)}});
  if (on_exit_) on_exit_();
}

void Worker::Shutdown(uint32_t grace_ms) {
  grace_ms_.store(grace_ms);
  uv_async_send(&shutdown_async_);
}

void Worker::BeginShutdown() {
  if (closing_) return;
  closing_ = true;
  uv_timer_start(
      &deadline_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Worker*>(t->data);
        log::Warn("shutdown deadline reached, closing open connections");
        self->server_->ForceClose();
      },
      grace_ms_.load(), 0);
  server_->BeginShutdown([this] { CloseAll(); });
}

// Everything closes on the loop; uv_run returns once the last close callback ran.
void Worker::CloseAll() {
  closing_ = true;
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline_))) uv_timer_stop(&deadline_);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_async_), nullptr);
  if (access_buffer_) access_buffer_->Close([] {});
  // Requests waiting for their ledger records delete their contexts when the writer answers:
  // the inbox closes after the last one, then the deleter and the upstream client.
  ledger_inbox_->Close([this] {
    // Contexts still waiting for deletion own upstream calls: delete them before the client.
    deleter_->Close([] {});
    upstream_->Close([] {});
  });
}

}  // namespace edge::cli
