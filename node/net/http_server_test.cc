// The HTTP server's protocol behaviour, seen from a real client socket: keep-alive,
// pipelining, request bodies, 100-continue, HTTP/1.0, response framing, server-made errors
// and TLS termination. Limits, timeouts and back-pressure are in http_server_limits_test.cc.

#include "node/net/http_server.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "node/net/http_server_test_util.h"

namespace edge::net {
namespace {

using test_util::After;
using test_util::IsRequestId;
using test_util::Response;
using test_util::TestClient;
using test_util::TestServer;

void Echo(ServerExchange& ex) {
  const HttpRequest& r = ex.request();
  HeaderList h;
  h.Add("Content-Type", "text/plain");
  h.Add("X-Seen-Id", ex.request_id());
  ex.Reply(200, h, r.method + " " + r.target + "|" + r.body);
}

// A streamed answer in three pieces (chunked for 1.1, close-delimited for 1.0).
void Stream(ServerExchange& ex) {
  ex.SendHead(200, HeaderList(), std::nullopt);
  ex.SendBody("one ");
  ex.SendBody("");  // must not end the chunked body
  ex.SendBody("two ");
  ex.SendBody("three");
  ex.End();
}

TEST(HttpServerTest, KeepAliveServesSeveralRequests) {
  TestServer server(Echo);
  TestClient c(server.port());
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send("GET /a?i=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    Response r = c.ReadResponse();
    ASSERT_TRUE(r.complete) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /a?i=" + std::to_string(i) + "|");
    EXPECT_EQ(r.Header("connection"), "keep-alive");
    EXPECT_EQ(r.Header("content-length"), std::to_string(r.body.size()));
    EXPECT_EQ(r.Header("content-type"), "text/plain");
    EXPECT_TRUE(IsRequestId(r.Header("x-seen-id"))) << r.Header("x-seen-id");
    ids.insert(r.Header("x-seen-id"));
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(server.OpenConnections(), 1u);
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer* self = nullptr;
  TestServer server([&](ServerExchange& ex) {
    if (ex.request().path() == "/slow") {
      // Answered later: the next request must wait for this response to end.
      After(self->loop(), 50, [&ex] { ex.Reply(200, HeaderList(), "slow"); });
    } else {
      Echo(ex);
    }
  });
  self = &server;
  TestClient c(server.port());
  ASSERT_TRUE(
      c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
             "GET /last HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().body, "slow");
  EXPECT_EQ(c.ReadResponse().body, "GET /fast|");
  EXPECT_EQ(c.ReadResponse().body, "POST /p|xyz");
  EXPECT_EQ(c.ReadResponse().body, "GET /last|");
}

TEST(HttpServerTest, ChunkedRequestBodyArrivingInPieces) {
  TestServer server(Echo);
  TestClient c(server.port());
  ASSERT_TRUE(
      c.Send("POST /chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(c.Send("lo\r\n6\r\n world\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(c.Send("0\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /chat|hello world");
}

TEST(HttpServerTest, ExpectContinueIsAnswered) {
  TestServer server(Echo);
  TestClient c(server.port());
  ASSERT_TRUE(
      c.Send("POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  Response interim = c.ReadResponse();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(c.Send("hello"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /up|hello");
}

TEST(HttpServerTest, ExpectContinueOverTheLimitGets413AtOnce) {
  ServerOptions options;
  options.limits.max_body_bytes = 100;
  TestServer server(Echo, options);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send(
      "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpServerTest, Http11StreamIsChunked) {
  TestServer server(Stream);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse();
  ASSERT_TRUE(r.complete);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "one two three");
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"));  // still usable
  EXPECT_EQ(c.ReadResponse().body, "one two three");
}

// A stream's head goes out at the end of the loop turn that started it (with the events the
// handler sent in that turn, in one write), even when no event follows for a long while.
TEST(HttpServerTest, AStreamsHeadGoesOutBeforeItsFirstEvent) {
  ServerExchange* open = nullptr;
  TestServer server([&](ServerExchange& ex) {
    ex.SendHead(200, HeaderList(), std::nullopt);
    open = &ex;  // the first event comes later, from the test
  });
  TestClient c(server.port(), 3000);
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = c.RecvSome(buf, sizeof buf);
    ASSERT_GT(n, 0) << "no head before the first event: " << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\n")) << got;  // the head alone
  server.Run([&] {
    open->SendBody("late");
    open->End();
  });
  std::string tail;
  while (tail.find("0\r\n\r\n") == std::string::npos) {
    ssize_t n = c.RecvSome(buf, sizeof buf);
    ASSERT_GT(n, 0) << tail;
    tail.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(tail, "4\r\nlate\r\n0\r\n\r\n");
}

// What pipeline/held_exchange.h relies on: a head of known length is not written before the
// body's first bytes, so a reply held by holding its body shows the client nothing.
TEST(HttpServerTest, AHeadOfKnownLengthWaitsForItsBody) {
  ServerExchange* open = nullptr;
  TestServer server([&](ServerExchange& ex) {
    HeaderList h;
    h.Add("Content-Type", "application/json");
    ex.SendHead(200, h, 2);
    open = &ex;  // the body comes later, from the test
  });
  TestClient c(server.port(), 300);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[4096];
  EXPECT_LE(c.RecvSome(buf, sizeof buf), 0) << "the head went out before its body";
  c.SetTimeout(3000);
  server.Run([&] {
    open->SendBody("ok");
    open->End();
  });
  std::string got;
  while (got.find("\r\n\r\nok") == std::string::npos) {
    ssize_t n = c.RecvSome(buf, sizeof buf);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Connection: keep-alive\r\n\r\nok");
}

// EndWith: a stream's last bytes and its terminating chunk (one write); a body of known
// length, and a stream that had not begun, framed as SendBody and End would have.
TEST(HttpServerTest, EndWithSendsTheLastBytesAndEndsTheResponse) {
  ServerExchange* open = nullptr;
  TestServer server([&](ServerExchange& ex) {
    const std::string& t = ex.request().target;
    if (t == "/stream") {
      ex.SendHead(200, HeaderList(), std::nullopt);
      ex.SendBody("one ");
      open = &ex;  // the rest comes later, from the test
    } else if (t == "/length") {
      ex.SendHead(200, HeaderList(), 4);
      ex.EndWith("four");
    } else {
      ex.EndWith("unstarted");
    }
  });
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  char buf[4096];
  std::string got;
  while (got.find("one \r\n") == std::string::npos) {
    ssize_t n = c.RecvSome(buf, sizeof buf);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_TRUE(got.ends_with("\r\n\r\n4\r\none \r\n")) << got;
  server.Run([&] { open->EndWith("data: [DONE]\n\n"); });
  got.clear();
  while (!got.ends_with("0\r\n\r\n")) {
    ssize_t n = c.RecvSome(buf, sizeof buf);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n");

  ASSERT_TRUE(c.Send("GET /length HTTP/1.1\r\nHost: x\r\n\r\n"));  // still usable
  Response r = c.ReadResponse();
  ASSERT_TRUE(r.complete);
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(r.Header("content-length"), "4");
  EXPECT_EQ(r.body, "four");
  ASSERT_TRUE(c.Send("GET /unstarted HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.ReadResponse();
  ASSERT_TRUE(r.complete);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "unstarted");
}

TEST(HttpServerTest, Http10ClientGetsCloseDelimitedStream) {
  TestServer server(Stream);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(r.Header("transfer-encoding"), "");
  EXPECT_EQ(r.Header("content-length"), "");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(r.body, "one two three");
  EXPECT_TRUE(r.eof);
  EXPECT_TRUE(r.complete);
}

TEST(HttpServerTest, Http10KeepAliveNeedsAskingAndALength) {
  TestServer server(Echo);
  {
    TestClient c(server.port());
    ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    Response r = c.ReadResponse();
    EXPECT_EQ(r.Header("connection"), "keep-alive");
    ASSERT_TRUE(c.Send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    EXPECT_EQ(c.ReadResponse().body, "GET /b|");
  }
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.body, "GET /a|");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3000));
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  TestServer server(Echo);
  TestClient c(server.port());
  ASSERT_TRUE(
      c.Send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.body, "GET /a|");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpServerTest, HeadAnswerHasLengthButNoBody) {
  TestServer server(Echo);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "8");  // "HEAD /h|"
  EXPECT_TRUE(r.body.empty());
  ASSERT_TRUE(c.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().body, "GET /next|");  // no stray body bytes in between
}

TEST(HttpServerTest, HandlerCannotBreakFraming) {
  TestServer server([](ServerExchange& ex) {
    HeaderList h;
    h.Add("Content-Length", "999");
    h.Add("Transfer-Encoding", "gzip");
    h.Add("Connection", "upgrade");
    h.Add("X-Bad", "a\r\nInjected: 1");
    h.Add("X-Good", "fine");
    ex.Reply(201, h, "ok");
  });
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.Header("content-length"), "2");
  EXPECT_EQ(r.Header("transfer-encoding"), "");
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  EXPECT_EQ(r.Header("injected"), "");
  EXPECT_EQ(r.Header("x-bad"), "");
  EXPECT_EQ(r.Header("x-good"), "fine");
}

// The head's bytes exactly: status line, the handler's valid fields in their order, then the
// server's framing (BuildHead writes it through a pointer into a buffer sized first).
TEST(HttpServerTest, AReplysHeadIsExactlyTheseBytes) {
  TestServer server([](ServerExchange& ex) {
    HeaderList h;
    h.Add("Content-Type", "application/json");
    h.Add("X-Empty", "");
    h.Add("X-Bad", "a\x01");
    h.Add("X-Long", std::string(700, 'v'));
    ex.Reply(429, h, "ok");
  });
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string want = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n";
  want += "X-Empty: \r\nX-Long: " + std::string(700, 'v') + "\r\n";
  want += "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
  std::string got;
  char buf[4096];
  while (got.size() < want.size()) {
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, want);
}

TEST(HttpServerTest, AbortLeavesTheChunkedBodyUnterminated) {
  TestServer server([](ServerExchange& ex) {
    ex.SendHead(200, HeaderList(), std::nullopt);
    ex.SendBody("partial");
    ex.Abort();
    ex.End();  // ignored: the exchange is over
  });
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "partial");
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(r.eof);
}

TEST(HttpServerTest, ShortBodyClosesTheConnection) {
  TestServer server([](ServerExchange& ex) {
    ex.SendHead(200, HeaderList(), 10);
    ex.SendBody("abc");
    ex.End();
  });
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.body, "abc");
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(r.eof);
}

// Server-made errors: JSON body, request id, node id, Connection: close, then the close.
void ExpectErrorReply(TestServer& server, const std::string& request, int status) {
  TestClient c(server.port());
  ASSERT_TRUE(c.Send(request));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, status) << request;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(IsRequestId(r.Header("x-edge-request-id"))) << r.Header("x-edge-request-id");
  EXPECT_EQ(r.Header("x-edge-node"), "test-node");
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u) << r.body;
  EXPECT_TRUE(c.WaitClosed(3000)) << request;
}

TEST(HttpServerTest, SmugglingAttemptsGet400AndClose) {
  TestServer server(Echo);
  const std::string cases[] = {
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
      "0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "GARBAGE\r\n\r\n",
  };
  for (const std::string& request : cases) ExpectErrorReply(server, request, 400);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpServerTest, ErrorBodyComesFromTheOptions) {
  ServerOptions options;
  options.error_body = [](int status, std::string_view message) {
    return "{\"error\":{\"status\":" + std::to_string(status) + "}}";
  };
  TestServer server(Echo, options);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost : x\r\n\r\n"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.body, "{\"error\":{\"status\":400}}");
}

TEST(HttpServerTest, ValidRequestAfterAnErrorOnAnotherConnection) {
  TestServer server(Echo);
  ExpectErrorReply(server, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().body, "GET /ok|");
}

class HttpServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/edge_server_tls_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    std::string cmd = "sh " EDGE_SOURCE_DIR "/tests/certs/make_test_certs.sh " + *dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
};
std::string* HttpServerTlsTest::dir_ = nullptr;

TEST_F(HttpServerTlsTest, TerminatesTls) {
  auto server_ctx = TlsServerContext::Load(*dir_ + "/server.crt", *dir_ + "/server.key");
  ASSERT_TRUE(server_ctx.ok()) << server_ctx.status().ToString();
  auto client_ctx = TlsClientContext::Create(true, *dir_ + "/ca.crt");
  ASSERT_TRUE(client_ctx.ok());
  ServerOptions options;
  options.tls = *server_ctx;
  TestServer server(
      [](ServerExchange& ex) {
        if (ex.request().path() == "/s") {
          Stream(ex);
        } else {
          Echo(ex);
        }
      },
      options);
  test_util::TlsTestClient c(server.port(), *client_ctx, "localhost");
  Status hs = c.Handshake();
  ASSERT_TRUE(hs.ok()) << hs.ToString();
  ASSERT_TRUE(c.Send("POST /secure HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"));
  Response r = c.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /secure|hi");
  ASSERT_TRUE(c.Send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.ReadResponse();
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "one two three");
  // A parse error over TLS still gets its JSON answer before the close.
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost : x\r\n\r\n"));
  r = c.ReadResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(IsRequestId(r.Header("x-edge-request-id")));
}

TEST_F(HttpServerTlsTest, PlaintextOnTheTlsPortIsDropped) {
  auto server_ctx = TlsServerContext::Load(*dir_ + "/server.crt", *dir_ + "/server.key");
  ASSERT_TRUE(server_ctx.ok());
  ServerOptions options;
  options.tls = *server_ctx;
  TestServer server(Echo, options);
  TestClient c(server.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_EQ(server.requests(), 0);
}

}  // namespace
}  // namespace edge::net
