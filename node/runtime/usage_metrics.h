#pragma once

// What the workers count per finished request, served as Prometheus text on the admin
// listener's GET /metrics (docs/headers-and-metrics.md lists every series):
//
//   llm_edge_requests_total{team,feature,env,model,deployment,outcome}
//   llm_edge_tokens_total{team,feature,env,model,deployment,type,estimated}
//   llm_edge_cost_micro_usd_total{team,feature,env,model,deployment}  (what the ledger billed)
//   llm_edge_responses_total{model,deployment,jurisdiction,status}
//   llm_edge_request_duration_seconds{model}, llm_edge_time_to_first_byte_seconds{model},
//   llm_edge_overhead_seconds{model}, llm_edge_request_attempts{model}       (histograms)
//   llm_edge_ledger_commit_seconds, llm_edge_ledger_pending_records
//   llm_edge_metric_series_overflow_total{family}
//
// Each worker owns one Shard and is its only writer (but for the ledger's committed count and
// commit latency, which only the ledger writer thread bumps, as it writes the records): counters are relaxed atomics bumped with
// a plain load and store, series are found through the worker's own index (series_table.h),
// so the request path takes no lock and, once a label set has been seen, allocates nothing.
// A scrape sums the shards.
//
// `estimated="true"` counts tokens the provider never reported: streams the client
// cancelled or a timeout cut (providers::UsageSoFar).
//
// Label values are never a client's free text: `model` is a configured alias, "" when the
// request was refused before its model was read, or kUnknownModelLabel for a name the
// config does not have (the pipeline's finalize decides); team / feature / env are validated
// tag values or the key's; deployments and jurisdictions come from the config. Series are
// bounded in number per worker (kMaxSeries per family, the rest counted in one "_overflow"
// series) and every label value in length (kMaxLabelBytes).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/runtime/histogram.h"
#include "node/runtime/series_table.h"
#include "providers/adapter.h"

namespace edge::runtime {

// How a request ended, as the outcome label says it.
enum class Outcome { kOk, kRejected, kCancelled, kTimeout, kError };
inline constexpr std::array<std::string_view, 5> kOutcomeNames = {"ok", "rejected", "cancelled",
                                                                  "timeout", "error"};

// The model label of requests for a model the config does not have.
inline constexpr std::string_view kUnknownModelLabel = "_unknown";

// Histogram bounds. Durations in microseconds, shown in seconds.
inline constexpr std::array<int64_t, 15> kDurationBoundsUs = {
    5'000,     10'000,    25'000,     50'000,     100'000,    250'000,     500'000,    1'000'000,
    2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 120'000'000, 300'000'000};
inline constexpr std::array<int64_t, 12> kOverheadBoundsUs = {
    25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000};
inline constexpr std::array<int64_t, 7> kAttemptBounds = {0, 1, 2, 3, 4, 6, 10};
inline constexpr std::array<int64_t, 14> kCommitBoundsUs = {
    100,    250,    500,     1'000,   2'500,   5'000,     10'000,
    25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000};

// One finished request. Label values are tag values (validated) or config names.
struct RequestRecord {
  std::string_view team, feature, env, model, deployment;
  Outcome outcome = Outcome::kOk;
  const providers::Usage* usage = nullptr;  // null when nothing is billed
  int64_t cost_micros = 0;                  // the ledger's cost of the request
  std::string_view jurisdiction;            // the caller's; "" when unplaced
  int status = 0;                           // HTTP status answered; 0 when none was sent
  int attempts = 0;                         // upstream attempts
  // Microseconds; negative when not measured (no answer was sent, or no header).
  int64_t total_us = -1;       // first byte read to finalize
  int64_t first_byte_us = -1;  // first byte read to the answer's head sent
  int64_t overhead_us = -1;    // the X-Edge-Overhead-Us the answer carried
};

class UsageMetrics {
 public:
  explicit UsageMetrics(size_t shards);

  // Series per shard and family at most; further label sets are counted under labels all
  // "_overflow", so totals stay right while memory stays bounded.
  static constexpr size_t kMaxSeries = 10000;
  // Models per shard in the latency histograms (aliases of the config, "", "_unknown").
  static constexpr size_t kMaxModelSeries = 1000;
  // A longer label value is cut (at a UTF-8 character boundary): a defence against a long
  // value reaching a label, which each of up to kMaxSeries series would keep.
  static constexpr size_t kMaxLabelBytes = 256;

  // One worker's counters. Record* only from that worker's thread.
  class Shard {
   public:
    void Record(const RequestRecord& record);
    // A request's ledger record was handed to the writer / came back written or failed.
    void LedgerSubmitted() { Bump(ledger_submitted_); }
    void LedgerCommitted(int64_t latency_us) {
      commit_.Observe(kCommitBoundsUs, latency_us);
      Bump(ledger_committed_);
    }

   private:
    friend class UsageMetrics;
    struct UsageCells {
      std::array<std::atomic<uint64_t>, kOutcomeNames.size()> requests{};
      // [estimated][input, output, cached_input]
      std::array<std::array<std::atomic<uint64_t>, 3>, 2> tokens{};
      std::atomic<uint64_t> cost_micros{0};
    };
    struct ResponseCells {
      std::atomic<uint64_t> count{0};
    };
    struct LatencyCells {
      HistogramCells<kDurationBoundsUs.size()> total, first_byte;
      HistogramCells<kOverheadBoundsUs.size()> overhead;
      HistogramCells<kAttemptBounds.size()> attempts;
    };

    std::string key_;  // reused for lookups: no allocation once a series exists
    SeriesTable<UsageCells, kMaxSeries> usage_;
    SeriesTable<ResponseCells, kMaxSeries> responses_;
    SeriesTable<LatencyCells, kMaxModelSeries> latency_;
    HistogramCells<kCommitBoundsUs.size()> commit_;
    std::atomic<uint64_t> ledger_submitted_{0}, ledger_committed_{0};
  };

  Shard& shard(size_t i) { return *shards_[i]; }
  // The Prometheus text exposition of all shards' sums. Any thread.
  std::string RenderPrometheus() const;

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace edge::runtime
