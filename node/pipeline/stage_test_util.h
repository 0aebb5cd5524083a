// What the stage tests share: an exchange that keeps the reply a stage sends, and a snapshot
// built from YAML with its geo classifier (tests that use it read the geo tests' databases
// through EDGE_GEO_TEST_DIR, node/CMakeLists.txt).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "node/net/http_server.h"
#include "node/runtime/geo_classifier.h"
#include "node/runtime/snapshot.h"

namespace edge::pipeline::testing {

class FakeExchange : public net::ServerExchange {
 public:
  net::HttpRequest req;
  sockaddr_in6 peer{};
  int status = 0;
  std::string body;
  std::string id = "req-1";

  FakeExchange() = default;
  // The caller's address as the connection would see it: IPv6, or IPv4 mapped into it.
  explicit FakeExchange(std::string_view peer_ip) {
    peer.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, std::string(peer_ip).c_str(), &peer.sin6_addr) != 1) {
      in_addr v4{};
      EXPECT_EQ(inet_pton(AF_INET, std::string(peer_ip).c_str(), &v4), 1) << peer_ip;
      peer.sin6_addr.s6_addr[10] = peer.sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&peer.sin6_addr.s6_addr[12], &v4, 4);
    }
  }
  const net::HttpRequest& request() const override { return req; }
  const std::string& request_id() const override { return id; }
  const std::string& peer_ip() const override { return id; }
  const sockaddr_in6& peer_addr() const override { return peer; }
  void SendHead(int, const net::HeaderList&, std::optional<uint64_t>) override {}
  bool SendBody(std::string_view) override { return true; }
  void End() override {}
  void Reply(int s, const net::HeaderList&, std::string_view b) override {
    status = s;
    body = b;
  }
  void Abort() override {}
  void SetObserver(net::ExchangeObserver*) override {}
};

inline std::shared_ptr<const runtime::Snapshot> SnapshotFromYaml(const std::string& yaml) {
  auto cfg = config::LoadFromString(yaml, "t.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  auto geo = runtime::BuildGeoClassifier(*cfg);
  EXPECT_TRUE(geo.ok()) << geo.status().message();
  auto snap = runtime::Snapshot::Build(std::move(cfg).value(), std::move(geo).value());
  EXPECT_TRUE(snap.ok()) << snap.status().message();
  return *snap;
}

}  // namespace edge::pipeline::testing
