// The HTTP server under pressure: header and body limits, header / idle / write timeouts,
// back-pressure against a client that stops reading, client resets, graceful shutdown and
// ListenSocket.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "node/net/http_server.h"
#include "node/net/http_server_test_util.h"

namespace edge::net {
namespace {

using test_util::After;
using test_util::IsRequestId;
using test_util::Pattern;
using test_util::Response;
using test_util::TestClient;
using test_util::TestServer;
using Clock = std::chrono::steady_clock;

void Echo(ServerExchange& ex) { ex.Reply(200, HeaderList(), ex.request().body); }

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

void ExpectRefused(TestServer& server, const std::string& request, int status) {
  TestClient c(server.port());
  ASSERT_TRUE(c.Send(request));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, status);
  EXPECT_TRUE(IsRequestId(r.Header("x-edge-request-id")));
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3000));
}

TEST(HttpServerLimitsTest, OversizedHeaderBlockGets431) {
  TestServer server(Echo);
  ExpectRefused(server,
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n",
                431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 300; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  ExpectRefused(server, many + "\r\n", 431);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpServerLimitsTest, OversizedBodyGets413) {
  ServerOptions options;
  options.limits.max_body_bytes = 1000;
  TestServer server(Echo, options);
  // By Content-Length, before any body byte was sent.
  ExpectRefused(server, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413);
  // Chunked: refused when the total crosses the limit.
  ExpectRefused(server,
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" +
                    std::string(512, 'a') + "\r\n200\r\n" + std::string(512, 'b') + "\r\n0\r\n\r\n",
                413);
  // At the limit it passes.
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                     std::string(1000, 'z')));
  EXPECT_EQ(c.ReadResponse().body.size(), 1000u);
}

TEST(HttpServerLimitsTest, A413ReachesAClientStillUploading) {
  ServerOptions options;
  options.limits.max_body_bytes = 1000;
  TestServer server(Echo, options);
  TestClient c(server.port());
  // The client sends its whole body without waiting: the server must not reset the
  // connection under the 413 while unread upload bytes are still arriving.
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n"));
  c.Send(std::string(300000, 'u'));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 413);
}

TEST(HttpServerLimitsTest, SlowlorisIsCutOffByTheHeaderTimeout) {
  ServerOptions options;
  options.limits.header_timeout_ms = 300;
  TestServer server(Echo, options);
  TestClient c(server.port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\n"));
  // One header line every 50 ms: each byte is progress, but the request never completes.
  bool closed = false;
  for (int i = 0; i < 60 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    closed = !c.Send("X-Drip-" + std::to_string(i) + ": 1\r\n");
  }
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_LT(MillisSince(start), 2500);
  EXPECT_GE(MillisSince(start), 250);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpServerLimitsTest, SlowBodyIsCutOffByTheHeaderTimeout) {
  ServerOptions options;
  options.limits.header_timeout_ms = 300;
  TestServer server(Echo, options);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"));
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_LT(MillisSince(start), 2500);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpServerLimitsTest, SilentConnectionIsClosed) {
  ServerOptions options;
  options.limits.header_timeout_ms = 200;  // a new connection owes its first request
  TestServer server(Echo, options);
  TestClient c(server.port());
  EXPECT_TRUE(c.WaitClosed(3000));
}

TEST(HttpServerLimitsTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  // Far above the pauses below, so that a loaded CI machine cannot make them look idle.
  options.limits.idle_timeout_ms = 1000;
  TestServer server(Echo, options);
  TestClient c(server.port());
  for (int i = 0; i < 3; ++i) {  // activity keeps it open
    ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(c.ReadResponse().status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_GE(MillisSince(start), 100);
  EXPECT_EQ(server.AwaitOpenConnections(0), 0u);
}

// Writes `total` bytes of Pattern() as fast as the exchange accepts them, pausing on
// SendBody() == false until OnWritable. Lives on the server's loop thread.
struct Producer : ExchangeObserver {
  ServerExchange* ex = nullptr;
  std::string data;
  size_t sent = 0;
  size_t chunk = 64 * 1024;
  size_t max_buffered = 0;
  size_t buffered_at_first_false = 0;
  std::atomic<int> false_returns{0};
  std::atomic<int> writables{0};
  std::atomic<int> aborted{0};
  std::atomic<bool> ended{false};

  void Start(ServerExchange& e, bool with_length) {
    ex = &e;
    e.SetObserver(this);
    e.SendHead(200, HeaderList(),
               with_length ? std::optional<uint64_t>(data.size()) : std::nullopt);
    Pump();
  }
  size_t Buffered() const {
    auto* c = dynamic_cast<ServerConnection*>(ex);
    return c != nullptr && c->transport() != nullptr ? c->transport()->buffered() : 0;
  }
  void Pump() {
    while (ex != nullptr && sent < data.size()) {
      size_t n = std::min(chunk, data.size() - sent);
      bool more = ex->SendBody(std::string_view(data).substr(sent, n));
      sent += n;
      if (ex == nullptr) return;
      max_buffered = std::max(max_buffered, Buffered());
      if (!more) {
        if (false_returns++ == 0) buffered_at_first_false = Buffered();
        return;
      }
    }
    if (ex != nullptr) {
      ex->End();
      ex = nullptr;
      ended = true;
    }
  }
  void OnWritable(ServerExchange&) override {
    ++writables;
    Pump();
  }
  void OnAborted(ServerExchange&) override {
    ++aborted;
    ex = nullptr;
  }
};

TEST(HttpServerLimitsTest, BackPressureBoundsTheBufferAndLosesNothing) {
  Producer producer;
  producer.data = Pattern(10 << 20);
  TestServer server([&](ServerExchange& ex) { producer.Start(ex, /*with_length=*/true); });
  TestClient c(server.port(), 10000);
  c.SetReceiveBuffer(64 * 1024);
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The client does not read for a while: the producer must be told to stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  size_t sent_while_stalled = 0;
  server.Run([&] { sent_while_stalled = producer.sent; });
  EXPECT_GE(producer.false_returns.load(), 1);
  EXPECT_LT(sent_while_stalled, producer.data.size());  // paused, not done
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), producer.data.size());
  EXPECT_TRUE(r.body == producer.data);
  server.Run([&] {
    EXPECT_TRUE(producer.ended);
    EXPECT_GE(producer.writables.load(), 1);
    // The server's own buffer stays near the 1 MiB limit (plus one chunk).
    EXPECT_LE(producer.max_buffered, (size_t{1} << 20) + producer.chunk);
    EXPECT_GT(producer.buffered_at_first_false, size_t{1} << 20);
  });
  EXPECT_EQ(producer.aborted.load(), 0);
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));  // keep-alive still fine
}

TEST(HttpServerLimitsTest, ClientThatStopsReadingIsDroppedByTheWriteTimeout) {
  Producer producer;
  producer.data = Pattern(20 << 20);
  ServerOptions options;
  options.limits.write_timeout_ms = 300;
  TestServer server([&](ServerExchange& ex) { producer.Start(ex, /*with_length=*/false); },
                    options);
  TestClient c(server.port());
  c.SetReceiveBuffer(16 * 1024);
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto start = Clock::now();
  while (producer.aborted.load() == 0 && MillisSince(start) < 5000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(producer.aborted.load(), 1);
  EXPECT_GE(MillisSince(start), 250);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(producer.aborted.load(), 1);  // exactly once
  EXPECT_EQ(server.AwaitOpenConnections(0), 0u);
}

// An endless event stream on a timer, like a slow model: stops when aborted.
struct Ticker : ExchangeObserver {
  uv_timer_t timer{};
  bool timer_open = false;
  ServerExchange* ex = nullptr;
  std::atomic<int> ticks{0};
  std::atomic<int> aborted{0};

  void Start(uv_loop_t* loop, ServerExchange& e) {
    ex = &e;
    e.SetObserver(this);
    e.SendHead(200, HeaderList(), std::nullopt);
    uv_timer_init(loop, &timer);
    timer.data = this;
    timer_open = true;
    uv_timer_start(&timer, OnTick, 10, 10);
  }
  static void OnTick(uv_timer_t* t) {
    auto* self = static_cast<Ticker*>(t->data);
    if (self->ex == nullptr) return;
    ++self->ticks;
    self->ex->SendBody("data: tick\n\n");
  }
  void OnWritable(ServerExchange&) override {}
  void OnAborted(ServerExchange&) override {
    ++aborted;
    ex = nullptr;
    if (timer_open) {
      timer_open = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    }
  }
};

TEST(HttpServerLimitsTest, ClientResetMidStreamAbortsOnce) {
  Ticker ticker;
  TestServer* self = nullptr;
  TestServer server([&](ServerExchange& ex) { ticker.Start(self->loop(), ex); });
  self = &server;
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[256];
  ASSERT_GT(c.RecvSome(buf, sizeof(buf)), 0);  // the head (and maybe a tick)
  c.Reset();
  auto start = Clock::now();
  while (ticker.aborted.load() == 0 && MillisSince(start) < 3000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ticker.aborted.load(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(ticker.aborted.load(), 1);
  EXPECT_EQ(server.AwaitOpenConnections(0), 0u);
}

TEST(HttpServerLimitsTest, ClientCloseMidStreamAbortsOnce) {
  Ticker ticker;
  TestServer* self = nullptr;
  TestServer server([&](ServerExchange& ex) { ticker.Start(self->loop(), ex); });
  self = &server;
  {
    TestClient c(server.port());
    ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    char buf[256];
    ASSERT_GT(c.RecvSome(buf, sizeof(buf)), 0);
  }  // a plain close (FIN)
  auto start = Clock::now();
  while (ticker.aborted.load() == 0 && MillisSince(start) < 3000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ticker.aborted.load(), 1);
}

TEST(HttpServerLimitsTest, ShutdownFinishesInFlightResponsesThenDrains) {
  TestServer* self = nullptr;
  TestServer server([&](ServerExchange& ex) {
    if (ex.request().path() == "/slow") {
      After(self->loop(), 300, [&ex] { ex.Reply(200, HeaderList(), "done"); });
    } else {
      Echo(ex);
    }
  });
  self = &server;
  TestClient busy(server.port());
  TestClient idle(server.port());
  ASSERT_TRUE(idle.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(idle.ReadResponse().status, 200);
  ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::atomic<bool> drained{false};
  server.Run([&] { server.server()->BeginShutdown([&] { drained = true; }); });
  EXPECT_TRUE(idle.WaitClosed(1000));  // idle: closed at once
  EXPECT_FALSE(drained.load());
  Response r = busy.ReadResponse();  // in flight: finishes, with Connection: close
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed(3000));
  auto start = Clock::now();
  while (!drained.load() && MillisSince(start) < 3000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(drained.load());
  TestClient late(server.port());
  EXPECT_FALSE(late.connected());  // no longer listening
}

TEST(HttpServerLimitsTest, ForceCloseAbortsWhatIsOpen) {
  Ticker ticker;
  TestServer* self = nullptr;
  TestServer server([&](ServerExchange& ex) { ticker.Start(self->loop(), ex); });
  self = &server;
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[256];
  ASSERT_GT(c.RecvSome(buf, sizeof(buf)), 0);
  std::atomic<bool> drained{false};
  server.Run([&] {
    server.server()->BeginShutdown([&] { drained = true; });
    server.server()->ForceClose();
  });
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_EQ(ticker.aborted.load(), 1);
  auto start = Clock::now();
  while (!drained.load() && MillisSince(start) < 3000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(drained.load());
}

TEST(ListenSocketTest, WorkersShareOnePort) {
  uint16_t port = 0;
  Result<int> first = ListenSocket("127.0.0.1:0", &port);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(port, 0);
  uint16_t again = 0;
  Result<int> second = ListenSocket("127.0.0.1:" + std::to_string(port), &again);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(again, port);
  // Both accept: connections spread over them, and every one lands on one of the two.
  TestClient a(port);
  EXPECT_TRUE(a.connected());
  ::close(*first);
  ::close(*second);
}

TEST(ListenSocketTest, AddressForms) {
  for (const char* where : {"localhost:0", "0.0.0.0:0", "*:0", ":0"}) {
    uint16_t port = 0;
    Result<int> fd = ListenSocket(where, &port);
    ASSERT_TRUE(fd.ok()) << where << ": " << fd.status().ToString();
    EXPECT_NE(port, 0) << where;
    ::close(*fd);
  }
  uint16_t port = 0;
  Result<int> v6 = ListenSocket("[::1]:0", &port);
  if (v6.ok()) {  // loopback IPv6 may be missing in a container
    EXPECT_NE(port, 0);
    ::close(*v6);
  }
}

TEST(ListenSocketTest, BadAddresses) {
  for (const char* where : {"nonsense", "127.0.0.1:99999", "127.0.0.1:x", "127.0.0.1:", "::1:80",
                            "[::1]80", "192.0.2.1:0"}) {
    uint16_t port = 0;
    Result<int> fd = ListenSocket(where, &port);
    EXPECT_FALSE(fd.ok()) << where;
    if (fd.ok()) ::close(*fd);
  }
}

}  // namespace
}  // namespace edge::net
