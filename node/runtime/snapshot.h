#pragma once

// What the workers read on every request: the config plus everything derived from it once
// (parsed upstream URLs, TLS trust contexts). Immutable; shared between worker threads and
// replaced as a whole on reload.

#include <atomic>
#include <cstdint>
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

// The current snapshot; Load() is one atomic shared_ptr read. The request path reads it
// through each worker's SnapshotCache instead.
class SnapshotSource {
 public:
  explicit SnapshotSource(std::shared_ptr<const Snapshot> first) : current_(std::move(first)) {}
  std::shared_ptr<const Snapshot> Load() const { return current_.load(std::memory_order_acquire); }
  void Store(std::shared_ptr<const Snapshot> next) {
    current_.store(std::move(next), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // Moves on every Store, after the new snapshot is in place.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> generation_{0};
};

// One thread's reference to the current snapshot. Every request keeps the snapshot it started
// with alive; taken from the SnapshotSource, that meant per request libstdc++'s lock bit in
// std::atomic<shared_ptr> and a reference count shared by all workers, cache lines that
// bounced between the cores. The cache reads the source again only when its generation moved,
// and its references count on a control block of its own (shared_ptr's aliasing constructor),
// which only its thread touches. An idle worker keeps the previous snapshot until its next
// request. Single thread: the one that owns it.
class SnapshotCache {
 public:
  explicit SnapshotCache(const SnapshotSource& source) : source_(source) {}

  std::shared_ptr<const Snapshot> Load() {
    const uint64_t generation = source_.generation();
    if (local_ == nullptr || generation != generation_) {
      auto held = std::make_shared<std::shared_ptr<const Snapshot>>(source_.Load());
      local_ = std::shared_ptr<const Snapshot>(held, held->get());
      generation_ = generation;
    }
    return local_;
  }

 private:
  const SnapshotSource& source_;
  uint64_t generation_ = 0;
  std::shared_ptr<const Snapshot> local_;
};

}  // namespace edge::runtime
