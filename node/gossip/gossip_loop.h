#pragma once

// The gossip thread's state: its libuv loop, the listener, the round timer, the connections
// and the federation::Gossiper they feed. Internal to node/gossip; GossipService is the face.
// Everything here runs on the gossip thread, except what the mutex `mu` guards (the gossiper
// and the transport counters), which the admin listener reads.

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "federation/federation.h"
#include "node/gossip/gossip_service.h"
#include "node/net/dns_cache.h"
#include "node/net/stream_transport.h"
#include "node/net/tls.h"

namespace edge::gossip {

class GossipLoop;

// One TCP (or TLS) connection to a peer, in either direction, cutting its bytes into frames.
class Link : public net::TransportObserver {
 public:
  Link(GossipLoop& owner, std::string outbound_addr, size_t max_frame_bytes)
      : owner_(owner), addr_(std::move(outbound_addr)), splitter_(max_frame_bytes) {}
  void OnConnected(net::StreamTransport& t) override;
  void OnData(net::StreamTransport& t, std::string_view data) override;
  void OnEof(net::StreamTransport& t) override { t.Close(); }
  void OnClosed(net::StreamTransport& t, const Status& why) override;

  net::StreamTransport* transport = nullptr;  // null once closed
  int64_t last_active_us = 0;
  bool connected = false;
  const std::string& addr() const { return addr_; }  // "" for an accepted connection

 private:
  friend class GossipLoop;
  GossipLoop& owner_;
  std::string addr_;
  federation::FrameSplitter splitter_;
};

// A seed of federation.peers: a literal address, or a name re-resolved every so often.
struct Seed : net::DnsCache::Waiter {
  std::string host;
  uint16_t port = 0;
  std::vector<std::string> resolved;  // "ip:port", as last resolved
  int64_t resolved_at_us = 0;
  bool literal = false, resolving = false;
  GossipLoop* owner = nullptr;
  void OnResolved(const Status& status, const net::AddressList& addresses) override;
};

// A name of a member's address being resolved: the answer only fills the cache.
struct CacheFiller : net::DnsCache::Waiter {
  void OnResolved(const Status&, const net::AddressList&) override {}
};

struct LoopSettings {
  int listen_fd = -1;
  uint32_t interval_ms = 1000;
  std::vector<std::string> seeds;  // "host:port"
  std::shared_ptr<net::TlsServerContext> tls_server;  // null: plain TCP
  std::shared_ptr<net::TlsClientContext> tls_client;
  GossipInputs inputs;
  std::string block_file;  // the test-only blocking switch; "" = off
};

class GossipLoop {
 public:
  GossipLoop(federation::GossipOptions options, LoopSettings settings);
  ~GossipLoop();

  // The gossip thread's body: runs until Stop() and every handle closed.
  void Run();
  // Any thread.
  void Stop();

  // Guarded by mu.
  mutable std::mutex mu;
  federation::Gossiper gossiper;
  TransportStats transport;
  uint64_t split_drops = 0;  // frames refused by the FrameSplitter (size)

  // Called by Link and Seed on the gossip thread.
  void OnLinkConnected(Link& link);
  void OnLinkData(Link& link, std::string_view data);
  void OnLinkClosed(Link& link, const Status& why);
  void OnSeedResolved(Seed& seed, const Status& status, const net::AddressList& addresses);

 private:
  static void OnTimer(uv_timer_t* t) noexcept;
  static void OnStopAsync(uv_async_t* a) noexcept;
  static void OnAccept(uv_stream_t* server, int status) noexcept;

  void Round();
  void FeedLocalState();
  void PublishRemoteSpend(int64_t now_us);
  std::vector<std::string> SeedAddresses(int64_t now_us);
  void SendTo(const std::string& addr, const std::vector<uint8_t>& frame, int64_t now_us);
  void Drop(Link& link, const std::string& reason, const std::string& detail);
  void CloseIdleLinks(int64_t now_us);
  void BeginClose();
  bool Blocked();
  // At most one log line per kind every 10 s, with the count of those not logged.
  void LogLimited(const std::string& kind, const std::string& message,
                  const std::string& detail);

  federation::GossipOptions options_;
  LoopSettings settings_;
  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  uv_timer_t timer_{};
  uv_async_t stop_async_{};
  std::unique_ptr<net::DnsCache> dns_;
  CacheFiller cache_filler_;
  std::vector<std::unique_ptr<Seed>> seeds_;
  std::map<std::string, Link*> outbound_;  // by "host:port"
  std::set<Link*> links_;                  // every open link, both directions (owned)
  std::vector<std::unique_ptr<Link>> closed_;  // freed on the next loop turn that runs Round
  std::mt19937_64 rng_;
  bool closing_ = false;
  bool listener_open_ = false;
  uint64_t last_chain_seq_ = 0, last_digest_seq_ = 0;
  struct LogState {
    int64_t last_us = 0;
    uint64_t suppressed = 0;
  };
  std::map<std::string, LogState> log_state_;
};

}  // namespace edge::gossip
