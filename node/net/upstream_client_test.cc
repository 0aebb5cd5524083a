// The upstream client against a real (test) origin on loopback: framing, pooling, retries,
// timeouts, cancellation and back-pressure. TLS is in upstream_client_tls_test.cc.

#include "node/net/upstream_client.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/net/upstream_test_server.h"

namespace edge::net {
namespace {

using testing::TestServer;

// A loopback port nobody listens on (bound, read back, released).
uint16_t UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Records one exchange and fails the test on any callback after its end.
struct Recorder : UpstreamHandler {
  void OnResponseHead(int s, const HeaderList& h) override {
    Check();
    status = s;
    for (const auto& [name, value] : h) headers.push_back(name + ": " + value);
    if (on_head) on_head();
  }
  void OnResponseBody(std::string_view data) override {
    Check();
    body.append(data);
    ++chunks;
    if (on_body) on_body();
  }
  void OnResponseComplete() override {
    Check();
    complete = ended = true;
    if (on_end) on_end();
  }
  void OnError(const Status& s, bool head) override {
    Check();
    error = s;
    head_received = head;
    ended = true;
    if (on_end) on_end();
  }
  void Check() {
    EXPECT_FALSE(ended) << "callback after the end";
    EXPECT_FALSE(silenced) << "callback after cancel";
  }

  std::unique_ptr<UpstreamCall> call;
  int status = 0;
  std::vector<std::string> headers;
  std::string body;
  int chunks = 0;
  bool complete = false;
  bool ended = false;
  bool silenced = false;  // set by tests that cancel
  Status error;
  bool head_received = false;
  std::function<void()> on_head, on_body, on_end;
};

class UpstreamClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    client_ = UpstreamClient::Create(&loop_, options_);
    ASSERT_TRUE(server_.ok());
  }
  void TearDown() override {
    CloseClient();
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void CloseClient() {
    if (!client_) return;
    bool closed = false;
    client_->Close([&] { closed = true; });
    EXPECT_TRUE(RunUntil([&] { return closed; }));
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  void Recreate(PoolOptions options) {
    CloseClient();
    client_ = UpstreamClient::Create(&loop_, options);
  }

  // Runs the loop until pred() holds or timeout_ms pass; a ticking timer keeps it awake.
  bool RunUntil(const std::function<bool()>& pred, uint64_t timeout_ms = 5000) {
    uv_timer_t tick;
    uv_timer_init(&loop_, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    uint64_t deadline = uv_now(&loop_) + timeout_ms;
    bool ok = pred();
    while (!ok && uv_now(&loop_) < deadline) {
      uv_run(&loop_, UV_RUN_ONCE);
      ok = pred();
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return ok;
  }
  void RunFor(uint64_t ms) {
    uint64_t until = uv_now(&loop_) + ms;
    RunUntil([&] { return uv_now(&loop_) >= until; }, ms + 1000);
  }

  UpstreamRequest Request(const std::string& path, const std::string& method = "GET") {
    UpstreamRequest r;
    r.origin.host = "127.0.0.1";
    r.origin.port = server_.port();
    r.method = method;
    r.path = path;
    return r;
  }
  void Start(Recorder* rec, UpstreamRequest req) {
    rec->call = client_->Start(std::move(req), rec);
  }
  // Starts a request and runs the loop until it ends.
  void Exchange(Recorder* rec, UpstreamRequest req) {
    Start(rec, std::move(req));
    ASSERT_TRUE(RunUntil([&] { return rec->ended; })) << "request did not end";
  }

  uv_loop_t loop_;
  PoolOptions options_;
  TestServer server_;
  std::unique_ptr<UpstreamClient> client_;
};

TEST_F(UpstreamClientTest, ContentLengthBody) {
  Recorder rec;
  Exchange(&rec, Request("/cl"));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(rec.body, "hello");
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(client_->idle_connections(), 1u) << "kept alive";
}

TEST_F(UpstreamClientTest, ChunkedBody) {
  Recorder rec;
  Exchange(&rec, Request("/chunked"));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.body, "hello world");
  EXPECT_EQ(client_->idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, CloseDelimitedBodyIsNotPooled) {
  Recorder rec;
  Exchange(&rec, Request("/close"));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.body, "until the end");
  EXPECT_EQ(client_->idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, ConnectionCloseHeaderIsNotPooled) {
  Recorder rec;
  Exchange(&rec, Request("/conn-close"));
  ASSERT_TRUE(rec.complete);
  EXPECT_EQ(rec.body, "bye");
  EXPECT_EQ(client_->idle_connections(), 0u);
  Recorder again;
  Exchange(&again, Request("/cl"));
  EXPECT_TRUE(again.complete);
  EXPECT_EQ(client_->connections_opened(), 2u);
}

TEST_F(UpstreamClientTest, InterimResponseSkipped) {
  Recorder rec;
  Exchange(&rec, Request("/continue"));
  ASSERT_TRUE(rec.complete);
  EXPECT_EQ(rec.status, 200);
  EXPECT_EQ(rec.body, "ok");
}

TEST_F(UpstreamClientTest, HeadResponseHasNoBodyAndKeepsTheConnection) {
  Recorder rec;
  Exchange(&rec, Request("/anything", "HEAD"));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.body, "");
  Recorder next;
  Exchange(&next, Request("/cl"));
  EXPECT_EQ(next.body, "hello");
  EXPECT_EQ(client_->connections_opened(), 1u);
}

TEST_F(UpstreamClientTest, RequestSerialization) {
  UpstreamRequest req = Request("/echo", "POST");
  req.headers.Add("Authorization", "Bearer k");
  req.headers.Add("Connection", "close");    // the client's to decide: dropped
  req.headers.Add("Content-Length", "999");  // likewise
  req.headers.Add("host", "evil.example");   // likewise
  req.body = "{\"a\":1}";
  Recorder rec;
  Exchange(&rec, std::move(req));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  std::string expected =
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_.port()) +
      "\r\nAuthorization: Bearer k\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  EXPECT_EQ(rec.body, expected);
  EXPECT_EQ(client_->idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, InvalidHeaderIsRejectedAsynchronously) {
  UpstreamRequest req = Request("/cl");
  req.headers.Add("X-Evil", "a\r\nX-Injected: 1");
  Recorder rec;
  Start(&rec, std::move(req));
  EXPECT_FALSE(rec.ended) << "never from inside Start()";
  ASSERT_TRUE(RunUntil([&] { return rec.ended; }));
  EXPECT_EQ(rec.error.code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->connections_opened(), 0u);
}

TEST_F(UpstreamClientTest, TwentySequentialRequestsReuseOneConnection) {
  for (int i = 0; i < 20; ++i) {
    Recorder rec;
    Exchange(&rec, Request(i % 2 ? "/chunked" : "/cl"));
    ASSERT_TRUE(rec.complete) << i << ": " << rec.error.ToString();
  }
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(server_.accepted(), 1);
  EXPECT_EQ(client_->idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, RequestStartedFromCompletionReusesTheConnection) {
  Recorder recs[5];
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    recs[i].on_end = [&, i] {
      ++done;
      if (i + 1 < 5) Start(&recs[i + 1], Request("/cl"));
    };
  }
  Start(&recs[0], Request("/cl"));
  ASSERT_TRUE(RunUntil([&] { return done == 5; }));
  for (auto& r : recs) EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(client_->connections_opened(), 1u);
}

TEST_F(UpstreamClientTest, StalePooledConnectionIsRetriedOnAFreshOne) {
  Recorder first;
  Exchange(&first, Request("/cl"));
  ASSERT_TRUE(first.complete);
  ASSERT_EQ(client_->idle_connections(), 1u);
  // The server drops the idle connection; the loop has not run, so the client has not
  // seen the EOF and reuses the connection.
  ASSERT_EQ(server_.CloseIdle(), 1);
  ASSERT_EQ(client_->idle_connections(), 1u) << "still pooled: the request will take it";
  Recorder second;
  Exchange(&second, Request("/echo", "POST"));
  ASSERT_TRUE(second.complete) << second.error.ToString();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(client_->connections_opened(), 2u);
  EXPECT_EQ(server_.accepted(), 2);
}

TEST_F(UpstreamClientTest, IdleConnectionClosedByServerLeavesThePool) {
  Recorder first;
  Exchange(&first, Request("/cl"));
  ASSERT_EQ(client_->idle_connections(), 1u);
  server_.CloseIdle();
  ASSERT_TRUE(RunUntil([&] { return client_->idle_connections() == 0; }));
  Recorder second;
  Exchange(&second, Request("/cl"));
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(client_->connections_opened(), 2u);
}

TEST_F(UpstreamClientTest, IdleTimeoutClosesPooledConnections) {
  PoolOptions o;
  o.idle_timeout_ms = 50;
  Recreate(o);
  Recorder rec;
  Exchange(&rec, Request("/cl"));
  ASSERT_EQ(client_->idle_connections(), 1u);
  EXPECT_TRUE(RunUntil([&] { return client_->idle_connections() == 0; }, 2000));
}

// The idle timer is not moved when a pooled connection is taken and parked again (it is
// lazy): a connection parked anew still gets the whole timeout from its last park, and is
// dropped after it.
TEST_F(UpstreamClientTest, IdleTimeoutCountsFromTheLastPark) {
  PoolOptions o;
  o.idle_timeout_ms = 400;
  Recreate(o);
  Recorder first;
  Exchange(&first, Request("/cl"));
  const uint64_t first_parked = uv_now(&loop_);
  RunFor(200);
  Recorder second;
  Exchange(&second, Request("/cl"));
  ASSERT_TRUE(second.complete) << second.error.ToString();
  EXPECT_EQ(client_->connections_opened(), 1u) << "the pooled connection was taken again";
  RunUntil([&] { return uv_now(&loop_) >= first_parked + 450; });
  EXPECT_EQ(client_->idle_connections(), 1u) << "dropped on the first park's deadline";
  EXPECT_TRUE(RunUntil([&] { return client_->idle_connections() == 0; }, 2000));
}

TEST_F(UpstreamClientTest, MaxIdlePerOriginBoundsThePool) {
  PoolOptions o;
  o.max_idle_per_origin = 1;
  Recreate(o);
  Recorder a, b, c;
  Start(&a, Request("/delay"));
  Start(&b, Request("/delay"));
  Start(&c, Request("/delay"));
  ASSERT_TRUE(RunUntil([&] { return a.ended && b.ended && c.ended; }));
  EXPECT_EQ(client_->connections_opened(), 3u);
  EXPECT_EQ(client_->idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, ConnectionRefused) {
  uint16_t port = UnusedPort();
  UpstreamRequest req = Request("/cl");
  req.origin.port = port;
  Recorder rec;
  Exchange(&rec, std::move(req));
  EXPECT_EQ(rec.error.code(), Code::kUnavailable);
  EXPECT_NE(rec.error.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << rec.error.message();
  EXPECT_NE(rec.error.message().find("refused"), std::string::npos) << rec.error.message();
  EXPECT_FALSE(rec.head_received);
}

TEST_F(UpstreamClientTest, FreshConnectionDroppedIsNotRetried) {
  Recorder rec;
  Exchange(&rec, Request("/drop"));
  EXPECT_EQ(rec.error.code(), Code::kUnavailable);
  EXPECT_NE(rec.error.message().find("closed the connection before responding"), std::string::npos)
      << rec.error.message();
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(UpstreamClientTest, MalformedResponse) {
  Recorder rec;
  Exchange(&rec, Request("/garbage"));
  EXPECT_EQ(rec.error.code(), Code::kUnavailable);
  std::string prefix = "malformed response from 127.0.0.1:" + std::to_string(server_.port()) + ": ";
  EXPECT_EQ(rec.error.message().rfind(prefix, 0), 0u) << rec.error.message();
  EXPECT_GT(rec.error.message().size(), prefix.size());
  EXPECT_EQ(client_->idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, FirstByteTimeout) {
  UpstreamRequest req = Request("/hang");
  req.timeouts.first_byte_ms = 100;
  Recorder rec;
  Exchange(&rec, std::move(req));
  EXPECT_EQ(rec.error.code(), Code::kDeadlineExceeded) << rec.error.ToString();
  EXPECT_FALSE(rec.head_received);
  EXPECT_EQ(client_->idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, TotalTimeoutAfterTheHead) {
  UpstreamRequest req = Request("/slow-body");
  req.timeouts.total_ms = 150;
  Recorder rec;
  Exchange(&rec, std::move(req));
  EXPECT_EQ(rec.error.code(), Code::kDeadlineExceeded) << rec.error.ToString();
  EXPECT_NE(rec.error.message().find("timed out"), std::string::npos);
  EXPECT_TRUE(rec.head_received);
  EXPECT_EQ(rec.status, 200);
  EXPECT_FALSE(rec.body.empty());
}

// The timer armed for the first byte is left in place when the head arrives (it is lazy);
// firing early, it finds nothing due and waits for the total deadline, which still ends the
// exchange.
TEST_F(UpstreamClientTest, TotalTimeoutAfterTheHeadOutlastsTheFirstByteTimeout) {
  UpstreamRequest req = Request("/slow-body");
  req.timeouts.first_byte_ms = 50;
  req.timeouts.total_ms = 300;
  Recorder rec;
  const uint64_t started = uv_now(&loop_);
  Exchange(&rec, std::move(req));
  EXPECT_EQ(rec.error.code(), Code::kDeadlineExceeded) << rec.error.ToString();
  EXPECT_NE(rec.error.message().find("timed out after 300 ms"), std::string::npos)
      << rec.error.message();
  EXPECT_TRUE(rec.head_received);
  EXPECT_GE(uv_now(&loop_), started + 300);
}

TEST_F(UpstreamClientTest, CancelMidBody) {
  Recorder rec;
  rec.on_body = [&] {
    rec.call->Cancel();
    rec.silenced = true;
  };
  Start(&rec, Request("/slow-body"));
  ASSERT_TRUE(RunUntil([&] { return rec.silenced; }));
  RunFor(100);  // more ticks arrive at the socket: nobody hears them
  EXPECT_EQ(rec.chunks, 1);
  EXPECT_FALSE(rec.ended);
  EXPECT_EQ(client_->idle_connections(), 0u) << "never pooled";
  Recorder next;
  Exchange(&next, Request("/cl"));
  EXPECT_TRUE(next.complete);
  EXPECT_EQ(client_->connections_opened(), 2u);
}

TEST_F(UpstreamClientTest, DestroyingTheCallInsideACallbackCancels) {
  Recorder rec;
  rec.on_head = [&] {
    rec.call.reset();
    rec.silenced = true;
  };
  Start(&rec, Request("/slow-body"));
  ASSERT_TRUE(RunUntil([&] { return rec.silenced; }));
  RunFor(60);
  EXPECT_EQ(rec.chunks, 0);
  EXPECT_EQ(client_->idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, CancelWhileConnectingAndWhileQueued) {
  PoolOptions o;
  o.max_total_per_origin = 1;
  Recreate(o);
  Recorder a, b;
  Start(&a, Request("/cl"));
  Start(&b, Request("/cl"));
  a.call.reset();    // while connecting
  b.call->Cancel();  // while queued
  a.silenced = b.silenced = true;
  RunFor(50);
  Recorder c;
  Exchange(&c, Request("/cl"));
  EXPECT_TRUE(c.complete) << c.error.ToString();
}

// Whether the provider had the request decides whether a cancelled call is billed.
TEST_F(UpstreamClientTest, SentOnlyOnceTheRequestWentOut) {
  PoolOptions o;
  o.max_total_per_origin = 1;
  Recreate(o);
  Recorder a, b;
  Start(&a, Request("/hang"));
  Start(&b, Request("/hang"));
  EXPECT_FALSE(a.call->sent());  // still connecting
  ASSERT_TRUE(RunUntil([&] { return a.call->sent(); }));
  RunFor(50);
  EXPECT_FALSE(b.call->sent());  // queued behind a
  a.call->Cancel();
  b.call->Cancel();
  a.silenced = b.silenced = true;
}

TEST_F(UpstreamClientTest, PauseAndResumeBody) {
  Recorder rec;
  size_t at_pause = 0;
  bool paused = false;
  rec.on_body = [&] {
    if (!paused) {
      paused = true;
      rec.call->PauseBody();
      at_pause = rec.body.size();
    }
  };
  Start(&rec, Request("/big"));
  ASSERT_TRUE(RunUntil([&] { return paused; }));
  RunFor(100);
  EXPECT_EQ(rec.body.size(), at_pause) << "no reads while paused";
  EXPECT_FALSE(rec.ended);
  rec.call->ResumeBody();
  ASSERT_TRUE(RunUntil([&] { return rec.ended; }));
  EXPECT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.body.size(), TestServer::kBigSize);
  EXPECT_EQ(client_->idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, MaxTotalPerOriginQueuesFifo) {
  PoolOptions o;
  o.max_total_per_origin = 1;
  Recreate(o);
  Recorder recs[4];
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) {
    recs[i].on_end = [&, i] { order.push_back(i); };
    Start(&recs[i], Request("/delay"));
  }
  ASSERT_TRUE(RunUntil([&] { return order.size() == 4; }));
  for (auto& r : recs) EXPECT_TRUE(r.complete) << r.error.ToString();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(server_.max_concurrent(), 1);
}

TEST_F(UpstreamClientTest, ManyConcurrentRequestsShareABoundedPool) {
  PoolOptions o;
  o.max_total_per_origin = 8;
  Recreate(o);
  constexpr int kRequests = 100;
  std::vector<Recorder> recs(kRequests);
  int done = 0;
  for (int i = 0; i < kRequests; ++i) {
    recs[i].on_end = [&] { ++done; };
    Start(&recs[i], Request(i % 3 == 0 ? "/chunked" : "/cl"));
  }
  ASSERT_TRUE(RunUntil([&] { return done == kRequests; }, 20000));
  for (auto& r : recs) EXPECT_TRUE(r.complete) << r.error.ToString();
  EXPECT_LE(client_->connections_opened(), 8u);
  EXPECT_LE(server_.max_concurrent(), 8);
  EXPECT_EQ(server_.requests().size(), static_cast<size_t>(kRequests));
}

TEST_F(UpstreamClientTest, QueuedRequestGetsASlotWhenAConnectionCloses) {
  PoolOptions o;
  o.max_total_per_origin = 1;
  Recreate(o);
  Recorder a, b;
  Start(&a, Request("/conn-close"));
  Start(&b, Request("/cl"));
  ASSERT_TRUE(RunUntil([&] { return a.ended && b.ended; }));
  EXPECT_TRUE(a.complete);
  EXPECT_TRUE(b.complete) << b.error.ToString();
  EXPECT_EQ(client_->connections_opened(), 2u);
}

TEST_F(UpstreamClientTest, HostNameIsResolved) {
  UpstreamRequest req = Request("/echo");
  req.origin.host = "localhost";
  Recorder rec;
  Exchange(&rec, std::move(req));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_NE(rec.body.find("Host: localhost:" + std::to_string(server_.port())), std::string::npos);
}

TEST_F(UpstreamClientTest, Ipv6Literal) {
  TestServer v6(nullptr, /*ipv6=*/true);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback";
  auto url = ParseUrl("http://[::1]:" + std::to_string(v6.port()) + "/");
  ASSERT_TRUE(url.ok());
  UpstreamRequest req = Request(url->path + "/echo");
  req.origin = url->origin;
  Recorder rec;
  Exchange(&rec, std::move(req));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_NE(rec.body.find("Host: [::1]:" + std::to_string(v6.port())), std::string::npos);
}

TEST_F(UpstreamClientTest, CloseFailsRequestsInFlight) {
  Recorder rec;
  Start(&rec, Request("/hang"));
  RunFor(30);
  bool closed = false;
  client_->Close([&] { closed = true; });
  EXPECT_TRUE(rec.ended);
  EXPECT_EQ(rec.error.code(), Code::kCancelled);
  EXPECT_TRUE(RunUntil([&] { return closed; }));
  rec.call.reset();
  client_.reset();
}

}  // namespace
}  // namespace edge::net
