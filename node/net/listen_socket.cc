// ListenSocket: one listening socket per worker, all bound to the same address with
// SO_REUSEPORT so that the kernel spreads new connections over the workers.

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "node/net/http_server.h"

namespace edge::net {

namespace {

struct HostPort {
  std::string host;  // empty or "*": every address
  std::string port;
};

Result<HostPort> SplitHostPort(const std::string& s) {
  HostPort hp;
  size_t colon;
  if (!s.empty() && s[0] == '[') {  // "[::1]:8080"
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return InvalidArgument("expected [ipv6]:port, got \"" + s + "\"");
    }
    hp.host = s.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string::npos) return InvalidArgument("expected host:port, got \"" + s + "\"");
    hp.host = s.substr(0, colon);
    if (hp.host.find(':') != std::string::npos) {
      return InvalidArgument("IPv6 addresses need brackets: \"[" + hp.host + "]:port\"");
    }
  }
  hp.port = s.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(hp.port.data(), hp.port.data() + hp.port.size(), value);
  if (hp.port.empty() || ec != std::errc() || end != hp.port.data() + hp.port.size() ||
      value > 65535) {
    return InvalidArgument("bad port \"" + hp.port + "\" in \"" + s + "\"");
  }
  if (hp.host == "*") hp.host.clear();
  return hp;
}

// A bound, listening socket for one resolved address, or -errno.
int BindOne(const addrinfo* ai) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) return -errno;
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
      ::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
    int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

Result<int> ListenSocket(const std::string& host_port, uint16_t* bound_port) {
  EDGE_ASSIGN_OR_RETURN(HostPort hp, SplitHostPort(host_port));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  int rc =
      ::getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &list);
  if (rc != 0) {
    return Unavailable("cannot resolve \"" + hp.host + "\": " + ::gai_strerror(rc));
  }
  int fd = -EADDRNOTAVAIL;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = BindOne(ai);
    if (fd >= 0) break;
  }
  ::freeaddrinfo(list);
  if (fd < 0) return Unavailable("cannot listen on " + host_port + ": " + std::strerror(-fd));
  if (bound_port != nullptr) *bound_port = BoundPort(fd);
  return fd;
}

}  // namespace edge::net
