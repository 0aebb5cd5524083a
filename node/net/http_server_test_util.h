#pragma once

// Test support for the HTTP server tests: a TestServer running an HttpServer on its own
// loop thread, and a blocking TestClient (plain or TLS through TlsSession) that reads
// responses with llhttp. Test-only; not part of edge_net.

#include <gtest/gtest.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "node/net/http_server.h"
#include "node/net/server_connection.h"
#include "node/net/tls.h"

namespace edge::net::test_util {

using Handler = std::function<void(ServerExchange&)>;

// An HttpServer on 127.0.0.1:<free port>, on a loop thread. The handler runs on that thread.
class TestServer : public RequestHandler {
 public:
  explicit TestServer(Handler handler, ServerOptions options = {}) : handler_(std::move(handler)) {
    EXPECT_EQ(uv_loop_init(&loop_), 0);
    uv_async_init(&loop_, &async_, OnAsync);
    async_.data = this;
    Result<int> fd = ListenSocket("127.0.0.1:0", &port_);
    EXPECT_TRUE(fd.ok()) << fd.status().ToString();
    if (options.node_id.empty()) options.node_id = "test-node";
    auto server = HttpServer::Create(&loop_, *fd, std::move(options), this);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    thread_ = std::thread([this] {
      uv_run(&loop_, UV_RUN_DEFAULT);
      server_.reset();
      uv_run(&loop_, UV_RUN_DEFAULT);
      loop_close_rc_ = uv_loop_close(&loop_);
    });
  }
  ~TestServer() override { Stop(); }

  void OnRequest(ServerExchange& ex) override {
    ++requests_;
    handler_(ex);
  }

  // Runs f on the loop thread and waits for it.
  void Run(std::function<void()> f) {
    std::promise<void> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back([&] {
        f();
        done.set_value();
      });
    }
    uv_async_send(&async_);
    done.get_future().wait();
  }

  // Force-closes what is open, ends the loop, checks that nothing leaked.
  void Stop() {
    if (!thread_.joinable()) return;
    Run([this] {
      server_->ForceClose();
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    });
    thread_.join();
    EXPECT_EQ(loop_close_rc_, 0) << "handles left open on the server loop";
  }

  uint16_t port() const { return port_; }
  uv_loop_t* loop() { return &loop_; }
  HttpServer* server() { return server_.get(); }
  int requests() const { return requests_; }
  size_t OpenConnections() {
    size_t n = 0;
    Run([&] { n = server_->open_connections(); });
    return n;
  }
  // The count once it reaches `want`, or after two seconds: a client sees the close
  // before the server's loop has run the connection's close callback.
  size_t AwaitOpenConnections(size_t want) {
    size_t n = OpenConnections();
    for (int i = 0; i < 200 && n != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      n = OpenConnections();
    }
    return n;
  }

 private:
  static void OnAsync(uv_async_t* a) {
    auto* self = static_cast<TestServer*>(a->data);
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      tasks.swap(self->tasks_);
    }
    for (auto& t : tasks) t();
  }

  Handler handler_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  uint16_t port_ = 0;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
  std::atomic<int> requests_{0};
  int loop_close_rc_ = -1;
};

// Runs f on `loop` after delay_ms; frees itself.
inline void After(uv_loop_t* loop, uint64_t delay_ms, std::function<void()> f) {
  struct Timer {
    uv_timer_t t;
    std::function<void()> f;
  };
  auto* timer = new Timer{{}, std::move(f)};
  uv_timer_init(loop, &timer->t);
  timer->t.data = timer;
  uv_timer_start(
      &timer->t,
      [](uv_timer_t* t) {
        auto* self = static_cast<Timer*>(t->data);
        self->f();
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
      },
      delay_ms, 0);
}

struct Response {
  int status = 0;
  HeaderList headers;
  std::string body;
  bool complete = false;  // the message ended properly
  bool eof = false;       // the connection closed while (or right after) reading it
  bool chunked = false;
  std::string error;
  std::string Header(std::string_view name) const {
    const std::string* v = headers.Find(name);
    return v ? *v : std::string();
  }
};

class TestClient {
 public:
  explicit TestClient(uint16_t port, int timeout_ms = 5000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    SetTimeout(timeout_ms);
  }
  virtual ~TestClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void SetTimeout(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  // A small receive buffer makes a client that stops reading fill up quickly.
  void SetReceiveBuffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }

  virtual bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // > 0 bytes, 0 on EOF, < 0 on error or timeout.
  virtual ssize_t RecvSome(char* buf, size_t n) { return ::recv(fd_, buf, n, 0); }

  // The next response; `head_request` when it answers a HEAD (no body follows).
  Response ReadResponse(bool head_request = false) {
    Response r;
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
      auto* c = static_cast<Ctx*>(p->data);
      if (!c->in_field) c->field = &c->r->headers.AddEmpty();
      c->in_field = true;
      c->field->first.append(at, n);
      return 0;
    };
    s.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
      auto* c = static_cast<Ctx*>(p->data);
      c->in_field = false;
      c->field->second.append(at, n);
      return 0;
    };
    s.on_headers_complete = [](llhttp_t* p) {
      auto* c = static_cast<Ctx*>(p->data);
      c->r->status = p->status_code;
      c->r->chunked = (p->flags & F_CHUNKED) != 0;
      return c->head_request ? 1 : 0;
    };
    s.on_body = [](llhttp_t* p, const char* at, size_t n) {
      static_cast<Ctx*>(p->data)->r->body.append(at, n);
      return 0;
    };
    s.on_message_complete = [](llhttp_t* p) {
      static_cast<Ctx*>(p->data)->r->complete = true;
      return static_cast<int>(HPE_PAUSED);
    };
    llhttp_t p;
    llhttp_init(&p, HTTP_RESPONSE, &s);
    Ctx ctx{&r, head_request};
    p.data = &ctx;
    char tmp[65536];
    while (true) {
      if (!buf_.empty()) {
        llhttp_errno_t err = llhttp_execute(&p, buf_.data(), buf_.size());
        if (err == HPE_PAUSED) {
          buf_.erase(0, static_cast<size_t>(llhttp_get_error_pos(&p) - buf_.data()));
          return r;
        }
        buf_.clear();
        if (err != HPE_OK) {
          r.error = llhttp_errno_name(err);
          return r;
        }
      }
      ssize_t n = RecvSome(tmp, sizeof(tmp));
      if (n <= 0) {
        r.eof = true;
        if (n < 0) r.error = "recv failed or timed out";
        if (n == 0 && llhttp_finish(&p) == HPE_OK && r.status != 0) r.complete = true;
        return r;
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  // True when the server closes within timeout_ms (reads and drops anything else).
  bool WaitClosed(int timeout_ms) {
    SetTimeout(timeout_ms);
    char tmp[65536];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = RecvSome(tmp, sizeof(tmp));
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

  // Closes with a reset (SO_LINGER 0), like a client that crashed.
  void Reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    ::close(fd_);
    fd_ = -1;
  }

 protected:
  struct Ctx {
    Response* r;
    bool head_request;
    bool in_field = false;
    std::pair<std::string, std::string>* field = nullptr;
  };
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// A TLS client over a blocking socket, driving a TlsSession by hand.
class TlsTestClient : public TestClient {
 public:
  TlsTestClient(uint16_t port, std::shared_ptr<TlsClientContext> ctx, const std::string& host)
      : TestClient(port), session_(TlsSession::NewClient(std::move(ctx), host)) {}

  Status Handshake() {
    EDGE_RETURN_IF_ERROR(session_->Start());
    Flush();
    std::string ignored;
    while (!session_->HandshakeDone()) {
      EDGE_RETURN_IF_ERROR(Pump(&ignored));
    }
    plain_ += ignored;
    return Status::Ok();
  }
  bool Send(std::string_view data) override {
    if (!session_->WritePlaintext(data).ok()) return false;
    return Flush();
  }
  ssize_t RecvSome(char* buf, size_t n) override {
    while (plain_.empty()) {
      if (peer_closed_) return 0;
      Status s = Pump(&plain_);
      if (!s.ok() && plain_.empty()) return peer_closed_ ? 0 : -1;
    }
    size_t k = std::min(n, plain_.size());
    std::memcpy(buf, plain_.data(), k);
    plain_.erase(0, k);
    return static_cast<ssize_t>(k);
  }

 private:
  bool Flush() {
    std::string out = session_->TakeCiphertext();
    return TestClient::Send(out);
  }
  Status Pump(std::string* out) {
    char tmp[16384];
    ssize_t n = TestClient::RecvSome(tmp, sizeof(tmp));
    if (n <= 0) {
      peer_closed_ = true;
      return Unavailable("connection closed");
    }
    session_->FeedCiphertext(tmp, static_cast<size_t>(n));
    bool closed = false;
    Status s = session_->ReadPlaintext(out, &closed);
    Flush();
    if (closed) peer_closed_ = true;
    return s;
  }
  std::unique_ptr<TlsSession> session_;
  std::string plain_;
  bool peer_closed_ = false;
};

// A response's body as sent, for checking what the server did with it.
inline std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

inline bool IsRequestId(const std::string& id) {
  if (id.size() != 24) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace edge::net::test_util
