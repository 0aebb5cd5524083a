#pragma once

// Bookkeeping of one origin's keep-alive pool, apart from any socket so that it can be
// tested alone: idle connections (LIFO, so the warmest is reused and the coldest ages out),
// the count of connections open or opening, and requests waiting for a slot (FIFO).
// Internal to node/net. Not thread-safe: one pool per loop.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace edge::net {

template <typename Conn, typename Waiter>
class OriginPool {
 public:
  OriginPool(uint32_t max_idle, uint32_t max_total)
      : max_idle_(max_idle), max_total_(max_total == 0 ? 1 : max_total) {}

  // The most recently idled connection, removed from the idle set; nullptr when none.
  Conn* PopIdle() {
    if (idle_.empty()) return nullptr;
    Conn* c = idle_.back();
    idle_.pop_back();
    return c;
  }
  // Parks a connection for reuse. False when the idle set is full: close it instead.
  bool PushIdle(Conn* c) {
    if (idle_.size() >= max_idle_) return false;
    idle_.push_back(c);
    return true;
  }
  // Takes a connection out of the idle set (it closed or timed out). False if absent.
  bool RemoveIdle(Conn* c) {
    auto it = std::find(idle_.begin(), idle_.end(), c);
    if (it == idle_.end()) return false;
    idle_.erase(it);
    return true;
  }
  size_t idle() const { return idle_.size(); }

  // Connection slots: every connection counts from the decision to open it until it has
  // fully closed, idle ones included.
  bool CanOpen() const { return total_ < max_total_; }
  void Opened() { ++total_; }
  void Closed() {
    if (total_ > 0) --total_;
  }
  size_t total() const { return total_; }

  // Requests that found no idle connection and no free slot.
  void Enqueue(Waiter* w) { waiting_.push_back(w); }
  Waiter* PopWaiter() {
    if (waiting_.empty()) return nullptr;
    Waiter* w = waiting_.front();
    waiting_.pop_front();
    return w;
  }
  bool RemoveWaiter(Waiter* w) {
    auto it = std::find(waiting_.begin(), waiting_.end(), w);
    if (it == waiting_.end()) return false;
    waiting_.erase(it);
    return true;
  }
  size_t waiting() const { return waiting_.size(); }

 private:
  uint32_t max_idle_;
  uint32_t max_total_;
  size_t total_ = 0;
  std::vector<Conn*> idle_;
  std::deque<Waiter*> waiting_;
};

}  // namespace edge::net
