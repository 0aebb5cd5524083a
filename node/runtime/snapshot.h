#pragma once

// What the workers read on every request: the config plus everything derived from it once
// (parsed upstream URLs, TLS trust contexts). Immutable; shared between worker threads and
// replaced as a whole on reload.

#include <atomic>
#include <memory>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "geo/geo.h"
#include "node/net/upstream_client.h"
#include "node/routing/router.h"
#include "providers/adapter.h"

namespace edge::runtime {

struct UpstreamTarget {
  net::Origin origin;     // scheme, host, port, TLS trust
  std::string base_path;  // api_base's path, e.g. "/v1"
  // What the provider adapter needs (now_unix_s is set per request); null adapter for
  // providers the node cannot call.
  providers::Target provider_target;
  const providers::Adapter* adapter = nullptr;
  // "Bearer <api_key>" for OpenAI-style pass-through, built once rather than per request;
  // empty without a key.
  std::string bearer_authorization;
};

struct Snapshot {
  config::Config config;
  std::vector<UpstreamTarget> targets;  // parallel to config.model_list
  // Places callers by IP (runtime::BuildGeoClassifier); null = callers are not looked up
  // (unit tests), so they get the node's jurisdiction.
  std::shared_ptr<const geo::Classifier> geo;
  // The process's router, and its state of each deployment, parallel to config.model_list
  // (the same objects as in the previous snapshot for the same deployment ids).
  std::shared_ptr<routing::Router> router;
  routing::States routes;

  // Fails when a deployment's api_base or ssl_verify CA file cannot be used. `router` is the
  // process's (serve passes the same one on every reload); null makes a new one.
  static Result<std::shared_ptr<const Snapshot>> Build(
      config::Config config, std::shared_ptr<const geo::Classifier> geo = nullptr,
      std::shared_ptr<routing::Router> router = nullptr);
};

// The current snapshot; Load() is one atomic shared_ptr read.
class SnapshotSource {
 public:
  explicit SnapshotSource(std::shared_ptr<const Snapshot> first) : current_(std::move(first)) {}
  std::shared_ptr<const Snapshot> Load() const { return current_.load(std::memory_order_acquire); }
  void Store(std::shared_ptr<const Snapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace edge::runtime
