#pragma once

// Requests and billed tokens per team, feature, environment, model alias and deployment,
// served as Prometheus text on the admin listener's GET /metrics. Each worker writes its
// own shard (its mutex is only ever contended by a scrape); a scrape sums the shards.
//
//   llm_edge_requests_total{team,feature,env,model,deployment,outcome}
//   llm_edge_tokens_total{team,feature,env,model,deployment,type,estimated}
//   llm_edge_cost_micro_usd_total{team,feature,env,model,deployment}  (what the ledger billed)
//
// `estimated="true"` counts tokens the provider never reported: streams the client
// cancelled or a timeout cut (providers::UsageSoFar).
//
// Label values are never a client's free text: `model` is a configured alias, "" when the
// request was refused before its model was read, or kUnknownModelLabel for a name the
// config does not have (the pipeline's finalize decides). Series are bounded in number
// (kMaxSeries) and every label value in length (kMaxLabelBytes).

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "providers/adapter.h"

namespace edge::runtime {

// How a request ended, as the outcome label says it.
enum class Outcome { kOk, kRejected, kCancelled, kTimeout, kError };
inline constexpr std::array<std::string_view, 5> kOutcomeNames = {"ok", "rejected", "cancelled",
                                                                  "timeout", "error"};

// The model label of requests for a model the config does not have.
inline constexpr std::string_view kUnknownModelLabel = "_unknown";

// One finished request. Label values are tag values (validated) or config names.
struct RequestRecord {
  std::string_view team, feature, env, model, deployment;
  Outcome outcome = Outcome::kOk;
  const providers::Usage* usage = nullptr;  // null when nothing is billed
  int64_t cost_micros = 0;                  // the ledger's cost of the request
};

class UsageMetrics {
 public:
  explicit UsageMetrics(size_t shards);

  class Shard {
   public:
    void Record(const RequestRecord& record);

   private:
    friend class UsageMetrics;
    struct Counters {
      std::array<uint64_t, kOutcomeNames.size()> requests{};
      // [estimated][input, output, cached_input]
      std::array<std::array<uint64_t, 3>, 2> tokens{};
      uint64_t cost_micros = 0;
    };
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
    };
    std::mutex mu_;
    std::string key_;  // reused for lookups: no allocation once a series exists
    std::unordered_map<std::string, Counters, Hash, std::equal_to<>> series_;
  };

  Shard& shard(size_t i) { return *shards_[i]; }
  // The Prometheus text exposition of all shards' sums.
  std::string RenderPrometheus() const;

  // Series per shard at most; further label combinations are counted under labels all
  // "_overflow", so totals stay right while memory stays bounded.
  static constexpr size_t kMaxSeries = 10000;
  // A longer label value is cut (at a UTF-8 character boundary): a defence against a long
  // value reaching a label, which each of up to kMaxSeries series would keep.
  static constexpr size_t kMaxLabelBytes = 256;

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace edge::runtime
