#include "node/cli/serve.h"

#include <sys/resource.h>
#include <uv.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "node/admin/admin_handler.h"
#include "node/cli/worker.h"
#include "node/gossip/gossip_service.h"
#include "node/net/connection_balancer.h"
#include "node/net/http_server.h"
#include "node/pipeline/error_reply.h"
#include "node/runtime/access_log.h"
#include "node/runtime/config_watcher.h"
#include "node/runtime/audit_service.h"
#include "node/runtime/bench_switches.h"
#include "node/runtime/geo_classifier.h"
#include "node/runtime/ledger_service.h"
#include "node/runtime/log.h"
#include "node/runtime/snapshot.h"

namespace edge::cli {
namespace {

// 10,000 idle keep-alive clients need more than the usual 1,024 descriptors.
void RaiseOpenFileLimit() {
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// Loads, validates and prepares FILE; prints every problem as `check` would, and also
// returns them, one per line, in *problems. `router` is the process's: deployments keep their
// measurements and cooldowns across reloads. *files_read gets every file of the config that
// was read or tried (the config's own first), also when it fails.
std::shared_ptr<const runtime::Snapshot> LoadSnapshot(const std::string& path,
                                                      std::shared_ptr<routing::Router> router,
                                                      std::vector<std::string>* files_read,
                                                      std::string* problems) {
  auto fail = [&](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    if (!problems->empty()) *problems += '\n';
    *problems += line;
  };
  std::vector<config::ConfigError> errors;
  config::LoadOptions options;
  options.files_read = files_read;
  Result<config::Config> cfg = config::Load(path, &errors, options);
  if (!cfg.ok()) {
    for (const auto& e : errors) fail(e.ToString());
    if (errors.empty()) fail(path + ": " + cfg.status().message());
    return nullptr;
  }
  // The process owns the geo database through the snapshot: a reload opens the one the new
  // config names and swaps both at once.
  Result<std::shared_ptr<const geo::Classifier>> geo = runtime::BuildGeoClassifier(*cfg);
  if (!geo.ok()) {
    fail(path + ": " + geo.status().message());
    return nullptr;
  }
  Result<std::shared_ptr<const runtime::Snapshot>> snap =
      runtime::Snapshot::Build(std::move(cfg).value(), std::move(geo).value(), std::move(router));
  if (!snap.ok()) {
    fail(path + ": " + snap.status().message());
    return nullptr;
  }
  return std::move(snap).value();
}

// "host:port" with the port replaced: how workers after the first join the bound port.
std::string WithPort(const std::string& host_port, uint16_t port) {
  return host_port.substr(0, host_port.rfind(':')) + ":" + std::to_string(port);
}

class Node {
 public:
  Node(std::string config_path, std::shared_ptr<const runtime::Snapshot> first)
      : config_path_(std::move(config_path)), snapshots_(std::move(first)) {}

  int Run();

 private:
  Status StartListeners();
  void OnSignal(int signum);
  void Reload(std::string_view trigger);
  void BeginShutdown();
  void OnWorkerExited();

  std::string config_path_;
  runtime::SnapshotSource snapshots_;
  std::atomic<bool> ready_{false};
  uv_loop_t loop_{};
  uv_signal_t sigterm_{}, sigint_{}, sighup_{}, sigusr1_{};
  uv_async_t worker_exited_{};
  std::atomic<int> exited_{0};
  std::unique_ptr<runtime::AccessLog> access_log_;  // outlives the workers' buffers
  std::unique_ptr<net::ConnectionBalancer> balancer_;  // outlives the workers
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<runtime::UsageMetrics> metrics_;
  std::unique_ptr<runtime::LedgerService> ledger_;  // outlives the workers
  std::unique_ptr<runtime::AuditService> audit_;    // outlives the ledger's writer
  std::unique_ptr<gossip::GossipService> gossip_;  // stopped before the ledger goes
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<net::HttpServer> admin_server_;
  std::unique_ptr<runtime::ConfigWatcher> watcher_;  // the config's files; closed at shutdown
  bool shutting_down_ = false;
};

net::ServerOptions OptionsFor(const config::NodeSettings& node,
                              std::shared_ptr<net::TlsServerContext> tls) {
  net::ServerOptions o;
  o.limits.max_body_bytes = node.max_body_bytes;
  o.limits.max_header_bytes = node.max_header_bytes;
  o.limits.max_header_fields = node.max_header_fields;
  o.limits.header_timeout_ms = node.header_timeout_ms;
  o.limits.idle_timeout_ms = node.idle_timeout_ms;
  o.limits.write_timeout_ms = node.write_timeout_ms;
  o.limits.max_client_buffer_bytes = node.max_client_buffer_bytes;
  o.node_id = node.id;
  o.tls = std::move(tls);
  o.error_body = [](int status, std::string_view message) {
    return pipeline::OpenAiErrorBody(status, message);
  };
  return o;
}

Result<std::shared_ptr<net::TlsServerContext>> TlsFor(const config::TlsFiles& files) {
  if (!files.enabled()) return std::shared_ptr<net::TlsServerContext>();
  return net::TlsServerContext::Load(files.cert, files.key);
}

Status Node::StartListeners() {
  const config::NodeSettings& node = snapshots_.Load()->config.node;
  EDGE_ASSIGN_OR_RETURN(auto client_tls, TlsFor(node.tls));
  EDGE_ASSIGN_OR_RETURN(auto admin_tls, TlsFor(node.admin_tls));

  unsigned n = node.workers > 0 ? static_cast<unsigned>(node.workers)
                                : std::max(1u, std::thread::hardware_concurrency());
  uint16_t port = 0;
  std::vector<int> fds;
  for (unsigned i = 0; i < n; ++i) {
    std::string where = i == 0 ? node.listen : WithPort(node.listen, port);
    Result<int> fd = net::ListenSocket(where, &port);
    if (!fd.ok()) return {fd.status().code(), "node.listen " + where + ": " + fd.status().message()};
    fds.push_back(*fd);
  }
  uint16_t admin_port = 0;
  Result<int> admin_fd = net::ListenSocket(node.admin_listen, &admin_port);
  if (!admin_fd.ok()) {
    return {admin_fd.status().code(), "node.admin_listen: " + admin_fd.status().message()};
  }
  metrics_ = std::make_unique<runtime::UsageMetrics>(n);
  const std::string& access = snapshots_.Load()->config.log.access;
  if (access != "off") {
    EDGE_ASSIGN_OR_RETURN(access_log_, runtime::AccessLog::Open(access));
  }
  EDGE_ASSIGN_OR_RETURN(ledger_, runtime::LedgerService::Open(snapshots_.Load()->config,
                                                              SystemClock().WallMicros()));
  EDGE_ASSIGN_OR_RETURN(audit_, runtime::AuditService::Open(snapshots_.Load()->config,
                                                            ledger_->store(), ledger_->writer(),
                                                            &loop_));
  if (!runtime::BenchWithout("audit")) ledger_->set_audit(&audit_->log());
  ledger_->StartJournals(snapshots_.Load()->config, n, SystemClock().WallMicros());
  admin_handler_ = std::make_unique<admin::AdminHandler>(&snapshots_, &ready_, metrics_.get(),
                                                         ledger_.get());
  admin_handler_->set_access_log(access_log_.get());
  EDGE_ASSIGN_OR_RETURN(admin_server_, net::HttpServer::Create(&loop_, *admin_fd,
                                                               OptionsFor(node, admin_tls),
                                                               admin_handler_.get()));
  if (snapshots_.Load()->config.federation.enabled()) {
    gossip::GossipInputs inputs;
    inputs.summary = ledger_->summary();
    inputs.audit = &audit_->log();
    inputs.store = &ledger_->store();
    inputs.budgets = &ledger_->budgets();
    std::string admin_url = std::string(admin_tls ? "https://" : "http://") +
                            WithPort(node.admin_listen, admin_port);
    EDGE_ASSIGN_OR_RETURN(gossip_, gossip::GossipService::Create(snapshots_.Load()->config,
                                                                 std::move(admin_url), inputs));
    admin_handler_->set_gossip(gossip_.get());
    EDGE_RETURN_IF_ERROR(gossip_->Start());
  }
  // A few long-lived connections would otherwise often share one worker (the kernel hashes
  // each to one SO_REUSEPORT queue for its life): they move to the worker holding fewest.
  if (n > 1) balancer_ = std::make_unique<net::ConnectionBalancer>(n);
  for (unsigned i = 0; i < n; ++i) {
    net::ServerOptions options = OptionsFor(node, client_tls);
    options.balancer = balancer_.get();
    options.balancer_slot = i;
    workers_.push_back(std::make_unique<Worker>(static_cast<int>(i), &snapshots_, fds[i],
                                                std::move(options),
                                                &metrics_->shard(i), ledger_.get(),
                                                access_log_.get(),
                                                [this] { OnWorkerExited(); }));
    Status started = workers_.back()->Start();
    if (!started.ok()) {
      workers_.pop_back();  // never ran, so it will not report an exit
      return started;
    }
  }
  std::string listen = WithPort(node.listen, port);
  std::string admin = WithPort(node.admin_listen, admin_port);
  std::string workers = std::to_string(n);
  log::Info("listening", {{"node", node.id},
                          {"region", node.region},
                          {"listen", listen},
                          {"admin_listen", admin},
                          {"workers", workers},
                          {"tls", client_tls ? "on" : "off"},
                          {"access_log", access},
                          {"federation", gossip_ ? gossip_->advertise() : std::string("off")},
                          {"geoip", snapshots_.Load()->geo->database().path()}});
  return Status::Ok();
}

int Node::Run() {
  RaiseOpenFileLimit();
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &worker_exited_, [](uv_async_t* a) {
    auto* self = static_cast<Node*>(a->data);
    if (self->exited_.load() == static_cast<int>(self->workers_.size())) {
      uv_close(reinterpret_cast<uv_handle_t*>(&self->worker_exited_), nullptr);
      if (self->admin_server_) {
        self->admin_server_->BeginShutdown([] {});
        self->admin_server_->ForceClose();
      }
    }
  });
  worker_exited_.data = this;
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_, &sigusr1_}) {
    uv_signal_init(&loop_, s);
    s->data = this;
  }
  auto on_signal = [](uv_signal_t* s, int signum) { static_cast<Node*>(s->data)->OnSignal(signum); };
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_start(&sigint_, on_signal, SIGINT);
  uv_signal_start(&sighup_, on_signal, SIGHUP);
  uv_signal_start(&sigusr1_, on_signal, SIGUSR1);

  Status started = StartListeners();
  int exit_code = 0;
  if (!started.ok()) {
    log::Error("cannot start", {{"error", started.ToString()}});
    exit_code = 1;
    BeginShutdown();
  } else {
    watcher_ = std::make_unique<runtime::ConfigWatcher>(&loop_, [this] { Reload("file change"); });
    watcher_->Watch(snapshots_.Load()->config.files);
    ready_.store(true, std::memory_order_release);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  workers_.clear();  // joins
  access_log_.reset();  // writes what the workers handed over
  admin_server_.reset();
  gossip_.reset();  // joins the gossip thread: it reads the ledger's summary and budgets
  if (audit_) audit_->SubmitFinalDigest();  // a clean stop leaves the whole log signed
  ledger_.reset();  // the writer drains what the workers submitted
  audit_.reset();
  uv_loop_close(&loop_);
  if (exit_code == 0) log::Info("stopped");
  return exit_code;
}

void Node::OnSignal(int signum) {
  if (signum == SIGHUP) {
    Reload("SIGHUP");
    return;
  }
  if (signum == SIGUSR1) {  // logrotate renamed the access log: open a new file at the path
    if (access_log_) access_log_->Reopen();
    return;
  }
  BeginShutdown();
}

// A config that fails validation is refused and the running one stays. The snapshot is swapped
// whole: requests hold the one they started with, so in-flight requests finish on the old
// config. The watch set follows the new config's includes (on a refusal it also takes in the
// files the refused config named, so that creating a missing include retries).
void Node::Reload(std::string_view trigger) {
  std::vector<std::string> files;
  std::string problems;
  std::shared_ptr<const runtime::Snapshot> next =
      LoadSnapshot(config_path_, snapshots_.Load()->router, &files, &problems);
  if (next == nullptr) {
    log::Error("reload refused: the config has errors; the previous one keeps serving",
               {{"config", config_path_}, {"trigger", trigger}, {"errors", problems}});
    if (watcher_) {
      const std::set<std::string>& old = watcher_->files();
      files.insert(files.end(), old.begin(), old.end());
      watcher_->Watch(files);
    }
    return;
  }
  if (ledger_) ledger_->ApplyConfig(next->config);
  if (next->config.log.access != snapshots_.Load()->config.log.access) {
    log::Warn("log.access changed: the new destination takes effect at the next start",
              {{"log.access", snapshots_.Load()->config.log.access}});
  }
  if (watcher_) watcher_->Watch(next->config.files);
  std::string count = std::to_string(next->config.files.size());
  snapshots_.Store(std::move(next));
  log::Info("config reloaded", {{"config", config_path_}, {"trigger", trigger}, {"files", count}});
}

void Node::BeginShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  ready_.store(false, std::memory_order_release);
  log::Info("shutting down");
  if (audit_) audit_->Close();
  if (watcher_) watcher_->Close();
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_, &sigusr1_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  }
  uint32_t grace = snapshots_.Load()->config.node.shutdown_grace_ms;
  if (workers_.empty()) {
    uv_async_send(&worker_exited_);
    return;
  }
  for (auto& w : workers_) w->Shutdown(grace);
}

void Node::OnWorkerExited() {
  exited_.fetch_add(1);
  uv_async_send(&worker_exited_);
}

}  // namespace

int RunServe(const std::string& config_path) {
  std::vector<std::string> files;
  std::string problems;
  std::shared_ptr<const runtime::Snapshot> first =
      LoadSnapshot(config_path, std::make_shared<routing::Router>(), &files, &problems);
  if (first == nullptr) return 1;
  Node node(config_path, std::move(first));
  return node.Run();
}

}  // namespace edge::cli
