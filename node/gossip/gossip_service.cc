#include "node/gossip/gossip_service.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>

#include "common/clock.h"
#include "node/gossip/gossip_loop.h"
#include "node/net/http_server.h"
#include "node/runtime/log.h"

namespace edge::gossip {
namespace {

std::string WithPort(const std::string& host_port, uint16_t port) {
  return host_port.substr(0, host_port.rfind(':')) + ":" + std::to_string(port);
}

void Counter(std::string& out, const std::string& series, uint64_t v) {
  out.append(series).append(" ").append(std::to_string(v)).push_back('\n');
}

}  // namespace

Result<std::unique_ptr<GossipService>> GossipService::Create(const config::Config& cfg,
                                                             std::string admin_url,
                                                             GossipInputs inputs) {
  const config::FederationSettings& f = cfg.federation;
  std::unique_ptr<GossipService> svc(new GossipService());
  federation::GossipOptions o;
  o.id = cfg.node.id;
  o.region = cfg.node.region;
  o.jurisdiction = cfg.node.jurisdiction;
  o.admin_url = std::move(admin_url);
  o.generation = SystemClock().WallMicros();  // a restart is a new generation
  o.keys.push_back(f.key);
  o.keys.insert(o.keys.end(), f.keyring.begin(), f.keyring.end());
  o.interval_ms = f.interval_ms;
  o.phi_suspect = f.phi_suspect;
  o.phi_dead = f.phi_dead;

  LoopSettings settings;
  settings.interval_ms = f.interval_ms;
  settings.seeds = f.peers;
  settings.inputs = inputs;
  if (const char* block = std::getenv(kBlockFileEnv); block != nullptr && *block != '\0') {
    settings.block_file = block;
    log::Warn("federation: the test-only blocking switch is armed",
              {{"env", kBlockFileEnv}, {"file", block}});
  }
  if (f.tls.enabled()) {
    // Mutual: accepted peers must present a certificate of the federation's CA, and so must
    // the peers this node connects to (whose certificate must also name the address dialled).
    auto server = net::TlsServerContext::LoadMutual(f.tls.cert, f.tls.key, f.tls.ca);
    if (!server.ok()) return InvalidArgument("federation.tls: " + server.status().message());
    auto client = net::TlsClientContext::CreateMutual(f.tls.ca, f.tls.cert, f.tls.key);
    if (!client.ok()) return InvalidArgument("federation.tls: " + client.status().message());
    settings.tls_server = std::move(server).value();
    settings.tls_client = std::move(client).value();
  }
  uint16_t port = 0;
  Result<int> fd = net::ListenSocket(f.listen, &port);
  if (!fd.ok()) {
    return Status(fd.status().code(), "federation.listen " + f.listen + ": " + fd.status().message());
  }
  settings.listen_fd = *fd;
  o.advertise = f.advertise.empty() ? WithPort(f.listen, port) : f.advertise;
  Status valid = federation::ValidateGossipOptions(o);
  if (!valid.ok()) {
    ::close(*fd);
    return InvalidArgument("federation: " + valid.message());
  }
  svc->node_id_ = o.id;
  svc->advertise_ = o.advertise;
  svc->generation_ = o.generation;
  svc->loop_ = std::make_unique<GossipLoop>(std::move(o), std::move(settings));
  return svc;
}

GossipService::~GossipService() { Stop(); }

Status GossipService::Start() {
  if (started_) return Status::Ok();
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "edge-gossip");  // for top -H, perf and /proc
    loop_->Run();
  });
  log::Info("federation gossip started",
            {{"advertise", advertise_}, {"generation", std::to_string(generation_)}});
  return Status::Ok();
}

void GossipService::Stop() {
  if (stopped_ || !loop_) return;
  stopped_ = true;
  if (started_) {
    loop_->Stop();
    thread_.join();
  }
  loop_.reset();  // closes what a loop that never ran still holds
}

std::vector<federation::MemberInfo> GossipService::Members() const {
  std::lock_guard lock(loop_->mu);
  return loop_->gossiper.Members(SystemClock().WallMicros());
}

federation::GlobalUsage GossipService::Usage() const {
  std::lock_guard lock(loop_->mu);
  return loop_->gossiper.Usage(SystemClock().WallMicros());
}

std::vector<federation::WitnessEntry> GossipService::Witnessed(const std::string& origin) const {
  std::lock_guard lock(loop_->mu);
  return loop_->gossiper.Witnessed(origin);
}

federation::FrameStats GossipService::frame_stats() const {
  std::lock_guard lock(loop_->mu);
  federation::FrameStats s = loop_->gossiper.stats();
  // Frames the splitter refused never reached the gossiper: count them in both.
  s.dropped[static_cast<size_t>(federation::DropReason::kSize)] += loop_->split_drops;
  s.frames_in += loop_->split_drops;
  return s;
}

TransportStats GossipService::transport_stats() const {
  std::lock_guard lock(loop_->mu);
  return loop_->transport;
}

std::string GossipService::RenderMetrics() const {
  const federation::FrameStats s = frame_stats();
  const TransportStats t = transport_stats();
  const std::vector<federation::MemberInfo> members = Members();
  std::string out;
  out += "# HELP llm_edge_gossip_frames_total Gossip frames by direction and result (ok, or why "
         "a received frame was dropped).\n# TYPE llm_edge_gossip_frames_total counter\n";
  uint64_t dropped = 0;
  for (uint64_t d : s.dropped) dropped += d;
  Counter(out, "llm_edge_gossip_frames_total{direction=\"out\",result=\"ok\"}", s.frames_out);
  Counter(out, "llm_edge_gossip_frames_total{direction=\"in\",result=\"ok\"}",
          s.frames_in >= dropped ? s.frames_in - dropped : 0);
  for (size_t i = 0; i < federation::kDropReasons; ++i) {
    std::string name(federation::DropReasonName(static_cast<federation::DropReason>(i)));
    Counter(out, "llm_edge_gossip_frames_total{direction=\"in\",result=\"" + name + "\"}",
            s.dropped[i]);
  }
  out += "# HELP llm_edge_gossip_bytes_total Gossip bytes by direction.\n"
         "# TYPE llm_edge_gossip_bytes_total counter\n";
  Counter(out, "llm_edge_gossip_bytes_total{direction=\"in\"}", s.bytes_in);
  Counter(out, "llm_edge_gossip_bytes_total{direction=\"out\"}", s.bytes_out);
  out += "# HELP llm_edge_gossip_connections_total Gossip connections opened, accepted, failed "
         "to connect, or cut by the test-only blocking switch.\n"
         "# TYPE llm_edge_gossip_connections_total counter\n";
  Counter(out, "llm_edge_gossip_connections_total{event=\"opened\"}", t.connections_opened);
  Counter(out, "llm_edge_gossip_connections_total{event=\"accepted\"}", t.connections_accepted);
  Counter(out, "llm_edge_gossip_connections_total{event=\"connect_failed\"}", t.connect_failures);
  Counter(out, "llm_edge_gossip_connections_total{event=\"blocked\"}", t.blocked_drops);
  uint64_t by_state[3] = {0, 0, 0};
  for (const auto& m : members) {
    if (!m.self) ++by_state[static_cast<int>(m.state)];
  }
  out += "# HELP llm_edge_gossip_members Other members known, by failure-detector state.\n"
         "# TYPE llm_edge_gossip_members gauge\n";
  for (auto st : {federation::MemberState::kAlive, federation::MemberState::kSuspect,
                  federation::MemberState::kDead}) {
    Counter(out,
            "llm_edge_gossip_members{state=\"" + std::string(federation::MemberStateName(st)) +
                "\"}",
            by_state[static_cast<int>(st)]);
  }
  out += "# HELP llm_edge_gossip_entries_total Gossiped state entries applied here and sent.\n"
         "# TYPE llm_edge_gossip_entries_total counter\n";
  Counter(out, "llm_edge_gossip_entries_total{direction=\"applied\"}", s.entries_applied);
  Counter(out, "llm_edge_gossip_entries_total{direction=\"sent\"}", s.entries_sent);
  return out;
}

}  // namespace edge::gossip
