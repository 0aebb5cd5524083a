#include "node/net/dns_cache.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace edge::net {

bool ParseIpLiteral(const std::string& host, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (uv_ip4_addr(host.c_str(), port, v4) == 0) return true;
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (uv_ip6_addr(host.c_str(), port, v6) == 0) return true;
  std::memset(out, 0, sizeof(*out));
  return false;
}

void SetPort(sockaddr_storage* addr, uint16_t port) {
  if (addr->ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(addr)->sin_port = htons(port);
  } else if (addr->ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(addr)->sin6_port = htons(port);
  }
}

struct DnsCache::Pending {
  uv_getaddrinfo_t req{};
  DnsCache* cache = nullptr;  // null once the cache is gone
  std::string host;
  std::vector<Waiter*> waiters;  // entries become null when cancelled during delivery
  bool orphan = false;           // cancelled by Shutdown(): deliver nothing
};

DnsCache::DnsCache(uv_loop_t* loop, uint32_t ttl_ms, const Clock* clock)
    : loop_(loop), ttl_ms_(ttl_ms), clock_(clock) {}

DnsCache::~DnsCache() {
  // Lookups on the thread pool cannot be freed before their callback; they free themselves.
  for (auto& [host, lookup] : lookups_) {
    lookup->cache = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&lookup->req));
  }
}

const AddressList* DnsCache::Lookup(std::string_view host) {
  if (cache_.empty()) return nullptr;
  // Few names and short ones: building the key is cheaper than a transparent-hash dance.
  auto it = cache_.find(std::string(host));
  if (it == cache_.end()) return nullptr;
  if (clock_->MonotonicMicros() >= it->second.expires_us) {
    cache_.erase(it);
    return nullptr;
  }
  return &it->second.addresses;
}

Status DnsCache::Resolve(const std::string& host, Waiter* waiter) {
  auto it = lookups_.find(host);
  if (it != lookups_.end()) {
    it->second->waiters.push_back(waiter);
    return Status::Ok();
  }
  auto* lookup = new Pending;
  lookup->cache = this;
  lookup->host = host;
  lookup->waiters.push_back(waiter);
  lookup->req.data = lookup;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: on hosts with only loopback interfaces it hides "localhost".
  int rc =
      uv_getaddrinfo(loop_, &lookup->req, &DnsCache::OnGetAddrInfo, host.c_str(), nullptr, &hints);
  if (rc != 0) {  // e.g. a name that IDNA conversion rejects
    delete lookup;
    return Unavailable("DNS lookup for " + host + " failed: " + uv_strerror(rc));
  }
  lookups_.emplace(host, lookup);
  return Status::Ok();
}

void DnsCache::Cancel(Waiter* waiter) {
  for (auto& [host, lookup] : lookups_) {
    for (Waiter*& w : lookup->waiters) {
      if (w == waiter) w = nullptr;
    }
  }
  if (delivering_ != nullptr) {
    for (Waiter*& w : delivering_->waiters) {
      if (w == waiter) w = nullptr;
    }
  }
}

void DnsCache::Shutdown(std::function<void()> on_idle) {
  shut_down_ = true;
  on_idle_ = std::move(on_idle);
  for (auto& [host, lookup] : lookups_) {
    lookup->orphan = true;
    lookup->waiters.clear();
    ++orphans_;
    uv_cancel(reinterpret_cast<uv_req_t*>(&lookup->req));
  }
  lookups_.clear();
  cache_.clear();
  MaybeIdle();
}

void DnsCache::MaybeIdle() {
  if (shut_down_ && in_flight() == 0 && on_idle_) {
    auto done = std::move(on_idle_);
    on_idle_ = nullptr;
    done();
  }
}

void DnsCache::OnGetAddrInfo(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
  auto* lookup = static_cast<Pending*>(req->data);
  DnsCache* cache = lookup->cache;
  if (cache == nullptr) {
    uv_freeaddrinfo(res);
    delete lookup;
    return;
  }
  cache->Complete(lookup, status, res);
}

void DnsCache::Complete(Pending* lookup, int status, addrinfo* res) {
  if (lookup->orphan) {
    uv_freeaddrinfo(res);
    delete lookup;
    --orphans_;
    MaybeIdle();
    return;
  }
  lookups_.erase(lookup->host);
  AddressList addresses;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, std::min<size_t>(ai->ai_addrlen, sizeof(ss)));
    SetPort(&ss, 0);
    addresses.push_back(ss);
  }
  uv_freeaddrinfo(res);
  Status result;
  if (status != 0 || addresses.empty()) {
    const char* why = status != 0 ? uv_strerror(status) : "no IPv4 or IPv6 address";
    result = Unavailable("DNS lookup for " + lookup->host + " failed: " + why);
  } else {
    Store(lookup->host, addresses);
  }
  // Waiters may cancel one another from their callbacks; Cancel() nulls them here.
  delivering_ = lookup;
  for (size_t i = 0; i < lookup->waiters.size(); ++i) {
    Waiter* w = lookup->waiters[i];
    if (w == nullptr) continue;
    lookup->waiters[i] = nullptr;
    w->OnResolved(result, addresses);
  }
  delivering_ = nullptr;
  delete lookup;
}

void DnsCache::Store(const std::string& host, AddressList addresses) {
  if (ttl_ms_ == 0 || shut_down_) return;
  int64_t now = clock_->MonotonicMicros();
  if (cache_.size() >= kMaxEntries && cache_.find(host) == cache_.end()) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.expires_us < b.second.expires_us;
    });
    cache_.erase(oldest);
  }
  Entry& e = cache_[host];
  e.addresses = std::move(addresses);
  e.expires_us = now + static_cast<int64_t>(ttl_ms_) * 1000;
}

}  // namespace edge::net
