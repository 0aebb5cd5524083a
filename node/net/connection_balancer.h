#pragma once

// Spreads client connections over the workers by how many each holds, whichever worker's
// SO_REUSEPORT queue the kernel put them in. The kernel hashes each connection to one queue
// for its whole life: under many connections that evens out, but a few long-lived ones (an L7
// load balancer's pool, a benchmark's two connections) often land on the same worker while
// another idles. Envoy's "exact connection balance" hands every accepted connection to the
// worker with the fewest; this one does so only when that worker clearly has fewer (by more
// than an eighth), so that under many connections nearly none moves and the accept path stays
// as it was, and a few are placed exactly.
//
// Threads: Pick, Closed and HandOff from any worker; a slot's owner registers its receiver
// on its own loop and unregisters it before the loop goes. A hand-off is an fd in the target's
// queue and a uv_async_send: once per moved connection, never per request.

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace edge::net {

class ConnectionBalancer {
 public:
  explicit ConnectionBalancer(size_t slots);
  ~ConnectionBalancer();
  ConnectionBalancer(const ConnectionBalancer&) = delete;
  ConnectionBalancer& operator=(const ConnectionBalancer&) = delete;

  size_t slots() const { return slots_.size(); }

  // The slot's loop thread: connections handed to `slot` arrive as fds to `adopt`, called on
  // `loop`. Until Register, and after Unregister, the slot takes no hand-offs.
  void Register(size_t slot, uv_loop_t* loop, std::function<void(int fd)> adopt);
  // The slot's loop thread: takes no more hand-offs; fds queued and not adopted yet are
  // closed, and so is the slot's async handle (freed by its close callback).
  void Unregister(size_t slot);

  // Where a connection `self` just accepted should go: `self`, or the registered slot with the
  // fewest connections when it holds fewer than self's count minus an eighth of it. Counts the
  // connection for the slot returned.
  size_t Pick(size_t self);
  // A connection counted for `slot` closed (or was never adopted).
  void Closed(size_t slot);
  // Queues `fd` (counted for `slot` by Pick) for the slot's loop. False when the slot takes
  // no hand-offs: the caller keeps the connection (and counts it back, see Move).
  bool HandOff(size_t slot, int fd);
  // Moves a connection's count from one slot to another (a refused hand-off).
  void Move(size_t from, size_t to);

  int64_t connections(size_t slot) const;

 private:
  struct Slot;
  static void OnAsync(uv_async_t* async);
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace edge::net
