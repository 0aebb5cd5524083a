#pragma once

// A small HTTP/1.1 origin for the upstream client's tests: blocking sockets, one thread per
// connection, optional TLS through TlsSession. What it answers depends on the request path:
//
//   /cl            200, Content-Length body "hello"
//   /chunked       200, chunked body "hello world" in three chunks sent apart
//   /close         200, close-delimited body "until the end", then closes
//   /conn-close    200, Content-Length, "Connection: close", then closes
//   /continue      100 Continue, then 200 "ok"
//   /garbage       an unparsable response, then closes
//   /hang          nothing, until the client goes away
//   /slow-body     200 chunked, then a 4-byte chunk every 20 ms until the client goes away
//   /drop          closes without answering
//   /big           200, Content-Length body of kBigSize bytes 'x'
//   /delay         waits 50 ms, then 200 "ok"
//   /echo          200, the raw request (head and body) as the body
//   HEAD anything  200 with Content-Length 5 and no body
//
// Test-only; internal to node/net tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/net/tls.h"

namespace edge::net::testing {

class TestServer {
 public:
  static constexpr size_t kBigSize = 1 << 20;

  // Listens on 127.0.0.1 (or ::1) port 0. With tls, every connection speaks TLS.
  explicit TestServer(std::shared_ptr<TlsServerContext> tls = nullptr, bool ipv6 = false)
      : tls_(std::move(tls)) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    if (ipv6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*a);
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd_, 64) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    stopping_ = true;
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : conns_) {
        if (!c->closed) shutdown(c->fd, SHUT_RDWR);  // wakes recv()
      }
    }
    for (auto& c : conns_) c->thread.join();
    if (fd_ >= 0) close(fd_);
  }

  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }
  int max_concurrent() const { return max_concurrent_; }
  // "METHOD /path" of every request, in arrival order.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  // Closes every connection that is waiting for its next request, and returns once they
  // are closed: the client's pooled connections go stale without it noticing yet.
  int CloseIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    std::vector<Conn*> victims;
    for (auto& c : conns_) {
      if (c->idle && !c->closed) {
        shutdown(c->fd, SHUT_RDWR);
        victims.push_back(c.get());
      }
    }
    cv_.wait(lock, [&] {
      return std::all_of(victims.begin(), victims.end(), [](Conn* c) { return c->closed; });
    });
    return static_cast<int>(victims.size());
  }

 private:
  struct Conn {
    int fd = -1;
    std::unique_ptr<TlsSession> tls;
    std::string in;  // plaintext received and not yet consumed
    bool idle = true;
    bool closed = false;
    std::thread thread;
  };

  void AcceptLoop() {
    while (!stopping_) {
      int fd = accept(fd_, nullptr, nullptr);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::lock_guard<std::mutex> lock(mu_);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      if (tls_) c->tls = TlsSession::NewServer(tls_);
      Conn* raw = c.get();
      ++accepted_;
      ++open_;
      max_concurrent_ = std::max(max_concurrent_.load(), open_.load());
      c->thread = std::thread([this, raw] { Serve(raw); });
      conns_.push_back(std::move(c));
    }
  }

  // Reads more plaintext into c->in; false on EOF or error.
  bool Fill(Conn* c) {
    char buf[16384];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    if (!c->tls) {
      c->in.append(buf, static_cast<size_t>(n));
      return true;
    }
    c->tls->FeedCiphertext(buf, static_cast<size_t>(n));
    bool peer_closed = false;
    Status s = c->tls->ReadPlaintext(&c->in, &peer_closed);
    std::string out = c->tls->TakeCiphertext();
    if (!out.empty() && !SendRaw(c, out)) return false;
    return s.ok() && !peer_closed;
  }

  bool SendRaw(Conn* c, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(c->fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Send(Conn* c, std::string_view data) {
    if (!c->tls) return SendRaw(c, data);
    if (!c->tls->WritePlaintext(data).ok()) return false;
    return SendRaw(c, c->tls->TakeCiphertext());
  }

  // One request's head and body from c->in; false when the connection ended first.
  bool ReadRequest(Conn* c, std::string* raw, std::string* method, std::string* path) {
    size_t end;
    while ((end = c->in.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(c)) return false;
      SetIdle(c, false);
    }
    std::string head = c->in.substr(0, end + 4);
    size_t body_len = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    size_t cl = lower.find("\r\ncontent-length:");
    if (cl != std::string::npos) body_len = std::stoul(head.substr(cl + 17));
    while (c->in.size() < head.size() + body_len) {
      if (!Fill(c)) return false;
    }
    *raw = c->in.substr(0, head.size() + body_len);
    c->in.erase(0, raw->size());
    size_t sp1 = head.find(' ');
    size_t sp2 = head.find(' ', sp1 + 1);
    *method = head.substr(0, sp1);
    *path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    return true;
  }

  void SetIdle(Conn* c, bool idle) {
    std::lock_guard<std::mutex> lock(mu_);
    c->idle = idle;
  }

  static std::string Ok(std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra) + "\r\n" + std::string(body);
  }

  static void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  // Answers one request; false when the connection must end.
  bool Answer(Conn* c, const std::string& raw, const std::string& method, const std::string& p) {
    if (method == "HEAD") return Send(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    if (p == "/cl") return Send(c, Ok("hello"));
    if (p == "/echo") return Send(c, Ok(raw));
    if (p == "/continue") return Send(c, "HTTP/1.1 100 Continue\r\n\r\n" + Ok("ok"));
    if (p == "/big") return Send(c, Ok(std::string(kBigSize, 'x')));
    if (p == "/conn-close") {
      Send(c, Ok("bye", "Connection: close\r\n"));
      return false;
    }
    if (p == "/delay") {
      Sleep(50);
      return Send(c, Ok("ok"));
    }
    if (p == "/chunked") {
      const char* chunks[] = {"3\r\nhel\r\n", "3\r\nlo \r\n", "5\r\nworld\r\n0\r\n\r\n"};
      if (!Send(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return false;
      for (const char* chunk : chunks) {
        Sleep(5);
        if (!Send(c, chunk)) return false;
      }
      return true;
    }
    if (p == "/close") {
      Send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
      Sleep(5);
      Send(c, "the end");
      return false;
    }
    if (p == "/garbage") {
      Send(c, "HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n");
      return false;
    }
    if (p == "/slow-body") {
      if (!Send(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return false;
      for (int i = 0; i < 500 && !stopping_; ++i) {
        if (!Send(c, "4\r\ntick\r\n")) return false;
        Sleep(20);
      }
      return false;
    }
    if (p == "/hang") {
      while (Fill(c)) {
      }
      return false;
    }
    return false;  // /drop and anything unknown: close without a word
  }

  void Serve(Conn* c) {
    std::string raw, method, path;
    while (!stopping_) {
      SetIdle(c, true);
      if (!ReadRequest(c, &raw, &method, &path)) break;
      SetIdle(c, false);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(method + " " + path);
      }
      // Marked idle before the last byte goes out: once the client has the whole response,
      // CloseIdle() sees this connection as idle.
      SetIdle(c, true);
      if (!Answer(c, raw, method, path)) break;
    }
    --open_;
    std::lock_guard<std::mutex> lock(mu_);  // closed under the lock: no shutdown() of a reused fd
    close(c->fd);
    c->closed = true;
    cv_.notify_all();
  }

  std::shared_ptr<TlsServerContext> tls_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> max_concurrent_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::string> requests_;
};

}  // namespace edge::net::testing
