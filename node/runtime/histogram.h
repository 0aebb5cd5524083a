#pragma once

// A Prometheus histogram's cells with fixed bucket bounds, written by one thread (Bump) and
// summed by a scrape: per-bucket counts (not cumulative: an observation touches one bucket)
// and the sum. The count is the buckets' total, so _count and the +Inf bucket always agree,
// even when a scrape reads while a worker adds. Bounds are integers in the unit observed
// (microseconds, attempts); prometheus_text.h writes them out.

#include <array>
#include <atomic>
#include <cstdint>

#include "node/runtime/series_table.h"

namespace edge::runtime {

template <size_t kBounds>
struct HistogramCells {
  std::array<std::atomic<uint64_t>, kBounds + 1> buckets{};  // the last one is +Inf
  std::atomic<uint64_t> sum{0};

  // Owner thread. `bounds` ascending, kBounds of them.
  void Observe(const std::array<int64_t, kBounds>& bounds, int64_t value) {
    if (value < 0) value = 0;
    size_t b = 0;
    while (b < kBounds && value > bounds[b]) ++b;
    Bump(buckets[b]);
    Bump(sum, static_cast<uint64_t>(value));
  }
};

// Plain sums of HistogramCells over shards, for rendering.
template <size_t kBounds>
struct HistogramSum {
  std::array<uint64_t, kBounds + 1> buckets{};
  uint64_t sum = 0;
  void Add(const HistogramCells<kBounds>& c) {
    for (size_t i = 0; i <= kBounds; ++i) buckets[i] += Read(c.buckets[i]);
    sum += Read(c.sum);
  }
};

}  // namespace edge::runtime
