#include "node/net/connection_balancer.h"

#include <unistd.h>

#include <utility>

namespace edge::net {

struct ConnectionBalancer::Slot {
  std::atomic<int64_t> connections{0};
  std::atomic<bool> accepting{false};  // Pick's lock-free view of `open`
  std::mutex mu;                       // hand-offs only: the fields below
  bool open = false;
  struct Receiver {
    uv_async_t async{};
    Slot* slot = nullptr;
  };
  Receiver* receiver = nullptr;  // freed by its close callback
  std::vector<int> fds;
  std::function<void(int)> adopt;  // read on the slot's loop thread only
};

ConnectionBalancer::ConnectionBalancer(size_t slots) {
  for (size_t i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>());
}

ConnectionBalancer::~ConnectionBalancer() {
  for (auto& s : slots_) {
    for (int fd : s->fds) ::close(fd);  // every slot unregistered first, so normally none
  }
}

void ConnectionBalancer::Register(size_t slot, uv_loop_t* loop, std::function<void(int)> adopt) {
  Slot& s = *slots_.at(slot);
  auto* r = new Slot::Receiver;
  r->slot = &s;
  r->async.data = r;
  uv_async_init(loop, &r->async, OnAsync);
  s.adopt = std::move(adopt);
  std::lock_guard<std::mutex> lock(s.mu);
  s.receiver = r;
  s.open = true;
  s.accepting.store(true);
}

void ConnectionBalancer::Unregister(size_t slot) {
  Slot& s = *slots_.at(slot);
  Slot::Receiver* r = nullptr;
  std::vector<int> orphans;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.open) return;
    s.open = false;
    s.accepting.store(false);
    r = s.receiver;
    s.receiver = nullptr;
    orphans.swap(s.fds);
  }
  for (int fd : orphans) {
    ::close(fd);
    Closed(slot);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&r->async),
           [](uv_handle_t* h) { delete static_cast<Slot::Receiver*>(h->data); });
}

size_t ConnectionBalancer::Pick(size_t self) {
  const int64_t mine = slots_[self]->connections.load(std::memory_order_relaxed);
  size_t best = self;
  int64_t below = mine - mine / 8;  // a slot must hold fewer than this to take it
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (i == self || !slots_[i]->accepting.load(std::memory_order_relaxed)) continue;
    const int64_t n = slots_[i]->connections.load(std::memory_order_relaxed);
    if (n < below) {
      best = i;
      below = n;
    }
  }
  slots_[best]->connections.fetch_add(1, std::memory_order_relaxed);
  return best;
}

void ConnectionBalancer::Closed(size_t slot) {
  slots_[slot]->connections.fetch_sub(1, std::memory_order_relaxed);
}

void ConnectionBalancer::Move(size_t from, size_t to) {
  slots_[to]->connections.fetch_add(1, std::memory_order_relaxed);
  Closed(from);
}

bool ConnectionBalancer::HandOff(size_t slot, int fd) {
  Slot& s = *slots_[slot];
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.open) return false;
  s.fds.push_back(fd);
  // Under the lock: Unregister closes the handle only after it took the lock.
  uv_async_send(&s.receiver->async);
  return true;
}

int64_t ConnectionBalancer::connections(size_t slot) const {
  return slots_.at(slot)->connections.load(std::memory_order_relaxed);
}

void ConnectionBalancer::OnAsync(uv_async_t* async) {
  Slot& s = *static_cast<Slot::Receiver*>(async->data)->slot;
  std::vector<int> fds;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    fds.swap(s.fds);
  }
  for (int fd : fds) s.adopt(fd);
}

}  // namespace edge::net
