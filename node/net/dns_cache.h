#pragma once

// Asynchronous name resolution (uv_getaddrinfo on libuv's thread pool) with a small cache,
// for the upstream client. Lookups of the same name in flight at once are shared. Failures
// are not cached: the next request asks again. One DnsCache per loop; internal to node/net.

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace edge::net {

using AddressList = std::vector<sockaddr_storage>;

// Fills *out with host as an IPv4 or IPv6 literal (no brackets) and port; false when host
// is a name.
bool ParseIpLiteral(const std::string& host, uint16_t port, sockaddr_storage* out);
// Sets the port of an AF_INET / AF_INET6 address.
void SetPort(sockaddr_storage* addr, uint16_t port);

class DnsCache {
 public:
  // Hears the end of one Resolve(); runs on the loop.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    // Addresses in resolver order, port 0. Non-ok (kUnavailable) names the host and cause.
    virtual void OnResolved(const Status& status, const AddressList& addresses) = 0;
  };

  // At most this many names are cached; the oldest entry makes room.
  static constexpr size_t kMaxEntries = 256;

  DnsCache(uv_loop_t* loop, uint32_t ttl_ms, const Clock* clock = &SystemClock());
  // Lookups still in flight are cancelled; their memory goes when libuv reports them.
  ~DnsCache();
  DnsCache(const DnsCache&) = delete;
  DnsCache& operator=(const DnsCache&) = delete;

  // The cached, unexpired addresses of host (port 0), or nullptr. Never blocks.
  const AddressList* Lookup(std::string_view host);
  // Starts, or joins, an asynchronous lookup. When ok, the waiter hears exactly once, on a
  // later loop turn, unless Cancel()ed first; otherwise the lookup could not even start and
  // the waiter hears nothing.
  Status Resolve(const std::string& host, Waiter* waiter);
  // Caches addresses for host as if a lookup had returned them (tests; fixed host maps).
  void Insert(const std::string& host, AddressList addresses) { Store(host, std::move(addresses)); }
  // The waiter hears nothing more. Safe to call for a waiter that is not waiting.
  void Cancel(Waiter* waiter);
  // Cancels every lookup and fails nothing: waiters are dropped silently. `on_idle` runs
  // once no lookup remains in flight (at once when none is).
  void Shutdown(std::function<void()> on_idle);

  size_t in_flight() const { return lookups_.size() + orphans_; }
  size_t cached() const { return cache_.size(); }

 private:
  struct Pending;
  struct Entry {
    AddressList addresses;
    int64_t expires_us = 0;
  };
  static void OnGetAddrInfo(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept;
  void Complete(Pending* lookup, int status, addrinfo* res);
  void Store(const std::string& host, AddressList addresses);
  void MaybeIdle();

  uv_loop_t* loop_;
  uint32_t ttl_ms_;
  const Clock* clock_;
  std::unordered_map<std::string, Entry> cache_;
  std::unordered_map<std::string, Pending*> lookups_;
  Pending* delivering_ = nullptr;  // whose waiters are being called
  size_t orphans_ = 0;             // lookups cancelled by Shutdown() whose callback has not run yet
  bool shut_down_ = false;
  std::function<void()> on_idle_;
};

}  // namespace edge::net
