#pragma once

// The metric series of one worker, keyed by their joined label values: written by the worker
// alone, read by a scrape on another thread, with no lock on either side (the single-writer
// counters of Linux's per-CPU stats and of Envoy's thread-local stats: the hot path never
// waits for a reader, and a reader never stops the writer).
//
// The owner thread finds (or creates) a series through its own hash index, which no other
// thread touches. Series live in fixed-size blocks that never move; a new series is complete
// (key written, cells zero) before `published_` is raised with release order, so a reader that
// loads `published_` with acquire order sees every series up to it, key included. Cells are
// relaxed atomics: a reader may see one request's counters half-added, never torn values.
//
// At most kMaxSeries label sets are kept; label sets beyond them are counted together in one
// overflow series (keys of all "_overflow"), so totals stay right while memory stays bounded,
// and overflowed() says how many observations went there.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace edge::runtime {

// Adds to a counter only its owner thread writes: a plain load and store, no locked
// read-modify-write (readers on other threads load it relaxed).
inline void Bump(std::atomic<uint64_t>& cell, uint64_t n = 1) {
  cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline uint64_t Read(const std::atomic<uint64_t>& cell) {
  return cell.load(std::memory_order_relaxed);
}

template <typename Cells, size_t kMaxSeries>
class SeriesTable {
 public:
  SeriesTable() { index_.reserve(64); }
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  // Owner thread. The cells of `key`, created zeroed on first use; once kMaxSeries keys
  // exist, the overflow series' cells for any new key.
  Cells& Get(std::string_view key) {
    auto it = index_.find(key);
    if (it != index_.end()) return *it->second;
    size_t n = published_.load(std::memory_order_relaxed);
    if (n >= kMaxSeries) {
      Bump(overflowed_);
      overflow_used_.store(true, std::memory_order_release);
      return overflow_.cells;
    }
    std::unique_ptr<Slot[]>& block = blocks_[n / kBlockSlots];
    if (block == nullptr) block = std::make_unique<Slot[]>(kBlockSlots);
    Slot& slot = block[n % kBlockSlots];
    slot.key.assign(key);
    index_.emplace(std::string_view(slot.key), &slot.cells);
    published_.store(n + 1, std::memory_order_release);
    return slot.cells;
  }

  // Any thread. f(key, cells) for every series, the overflow one (key `overflow_key`) last.
  template <typename F>
  void ForEach(std::string_view overflow_key, F&& f) const {
    size_t n = published_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) {
      const Slot& slot = blocks_[i / kBlockSlots][i % kBlockSlots];
      f(std::string_view(slot.key), slot.cells);
    }
    if (overflow_used_.load(std::memory_order_acquire)) f(overflow_key, overflow_.cells);
  }

  // Any thread. Observations counted in the overflow series.
  uint64_t overflowed() const { return Read(overflowed_); }

 private:
  static constexpr size_t kBlockSlots = 32;
  struct Slot {
    std::string key;
    Cells cells;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  std::array<std::unique_ptr<Slot[]>, (kMaxSeries + kBlockSlots - 1) / kBlockSlots> blocks_{};
  std::atomic<size_t> published_{0};
  std::unordered_map<std::string_view, Cells*, Hash, std::equal_to<>> index_;  // owner only
  Slot overflow_;
  std::atomic<bool> overflow_used_{false};
  std::atomic<uint64_t> overflowed_{0};
};

}  // namespace edge::runtime
