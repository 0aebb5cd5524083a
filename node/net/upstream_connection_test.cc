// UpstreamConnection on its own: request heads, trying each resolved address in turn, and
// the failure it reports when none answers.

#include "node/net/upstream_connection.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "node/net/upstream_test_server.h"

namespace edge::net {
namespace {

Origin MakeOrigin(bool https, const std::string& host, uint16_t port) {
  Origin o;
  o.https = https;
  o.host = host;
  o.port = port;
  return o;
}

std::string Head(const Origin& origin, const std::string& method, const std::string& body,
                 HeaderList headers = {}) {
  UpstreamRequest r;
  r.origin = origin;
  r.method = method;
  r.path = "/v1/x";
  r.body = body;
  r.headers = std::move(headers);
  std::string out;
  SerializeHead(MakeOriginInfo(origin), r, &out);
  return out;
}

TEST(SerializeHeadTest, HostCarriesThePortOnlyWhenNotTheDefault) {
  EXPECT_EQ(Head(MakeOrigin(false, "api.example", 80), "GET", ""),
            "GET /v1/x HTTP/1.1\r\nHost: api.example\r\n\r\n");
  EXPECT_EQ(Head(MakeOrigin(true, "api.example", 443), "GET", ""),
            "GET /v1/x HTTP/1.1\r\nHost: api.example\r\n\r\n");
  EXPECT_EQ(Head(MakeOrigin(true, "api.example", 80), "GET", ""),
            "GET /v1/x HTTP/1.1\r\nHost: api.example:80\r\n\r\n");
  EXPECT_EQ(Head(MakeOrigin(false, "::1", 8080), "GET", ""),
            "GET /v1/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
}

TEST(SerializeHeadTest, ContentLengthAndClientOwnedHeaders) {
  HeaderList h;
  h.Add("X-Api-Key", "k");
  h.Add("Transfer-Encoding", "chunked");
  h.Add("CONNECTION", "close");
  EXPECT_EQ(Head(MakeOrigin(false, "h", 80), "POST", "", h),
            "POST /v1/x HTTP/1.1\r\nHost: h\r\nX-Api-Key: k\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(Head(MakeOrigin(false, "h", 80), "DELETE", "abc"),
            "DELETE /v1/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
}

TEST(SerializeHeadTest, EveryClientOwnedFieldInAnyCaseIsDroppedAndLookAlikesKept) {
  HeaderList h;
  for (const char* name : {"te", "HOST", "Upgrade", "connection", "Keep-Alive", "content-LENGTH",
                           "Transfer-Encoding"}) {
    h.Add(name, "x");
  }
  h.Add("TE-X", "1");
  h.Add("Hosts", "2");
  h.Add("Upgrade-Insecure-Requests", "3");
  h.Add("X-Long", std::string(500, 'v'));
  EXPECT_EQ(Head(MakeOrigin(false, "h", 80), "PUT", "abcd", h),
            "PUT /v1/x HTTP/1.1\r\nHost: h\r\nTE-X: 1\r\nHosts: 2\r\n"
            "Upgrade-Insecure-Requests: 3\r\nX-Long: " +
                std::string(500, 'v') + "\r\nContent-Length: 4\r\n\r\n");
}

TEST(SerializeHeadTest, AnEmptyPathIsTheRootAndTheHeadIsAppended) {
  UpstreamRequest r;
  r.origin = MakeOrigin(false, "h", 80);
  r.method = "POST";
  r.body = std::string(12345678, 'b');
  std::string out = "kept:";
  SerializeHead(MakeOriginInfo(r.origin), r, &out);
  EXPECT_EQ(out, "kept:POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12345678\r\n\r\n");
}

TEST(ValidateRequestTest, RejectsFramingBreakers) {
  UpstreamRequest r;
  r.path = "/ok";
  EXPECT_TRUE(ValidateRequest(r).ok());
  r.path = "no-slash";
  EXPECT_FALSE(ValidateRequest(r).ok());
  r.path = "/a b";
  EXPECT_FALSE(ValidateRequest(r).ok());
  r.path = "/ok";
  r.method = "GE T";
  EXPECT_FALSE(ValidateRequest(r).ok());
  r.method = "GET";
  r.headers.Add("X", std::string("a\0b", 3));
  EXPECT_FALSE(ValidateRequest(r).ok());
}

// Records what a connection tells its user and owner.
struct Events : ConnectionUser, ConnectionOwner {
  void OnConnected(UpstreamConnection& c) override { connected = true; }
  bool OnHead(int, const HeaderList&) override { return true; }
  bool OnBody(std::string_view) override { return true; }
  void OnComplete(UpstreamConnection& c, bool) override {}
  void OnFailed(UpstreamConnection&, const Status& why, bool, bool) override { failure = why; }
  void OnIdleLost(UpstreamConnection&) override {}
  void OnConnectionClosed(UpstreamConnection&) override { closed = true; }
  bool connected = false;
  bool closed = false;
  Status failure;
};

sockaddr_storage Ip(const char* ip) {
  sockaddr_storage ss;
  EXPECT_TRUE(ParseIpLiteral(ip, 0, &ss));
  return ss;
}

class UpstreamConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  bool RunUntil(const std::function<bool()>& pred) {
    for (int i = 0; i < 1000 && !pred(); ++i) uv_run(&loop_, UV_RUN_ONCE);
    return pred();
  }
  uv_loop_t loop_;
};

TEST_F(UpstreamConnectionTest, TriesTheNextAddressWhenOneFails) {
  testing::TestServer server;  // listens on 127.0.0.1 only
  DnsCache dns(&loop_, 60000);
  // 127.0.0.2 is loopback too, but nobody listens there: refused, then the next one answers.
  dns.Insert("multi.test", {Ip("127.0.0.2"), Ip("127.0.0.1")});
  OriginInfo info = MakeOriginInfo(MakeOrigin(false, "multi.test", server.port()));
  Events ev;
  auto* c = new UpstreamConnection(&loop_, &info, &ev, nullptr);
  c->Open(&dns, &ev);
  EXPECT_FALSE(ev.connected) << "never from inside Open()";
  ASSERT_TRUE(RunUntil([&] { return ev.connected || !ev.failure.ok(); }));
  EXPECT_TRUE(ev.connected) << ev.failure.ToString();
  c->Close();
  ASSERT_TRUE(RunUntil([&] { return ev.closed; }));
}

TEST_F(UpstreamConnectionTest, ReportsTheLastFailureWhenNoAddressAnswers) {
  DnsCache dns(&loop_, 60000);
  dns.Insert("nobody.test", {Ip("127.0.0.2"), Ip("127.0.0.3")});
  OriginInfo info = MakeOriginInfo(MakeOrigin(false, "nobody.test", 9));
  Events ev;
  auto* c = new UpstreamConnection(&loop_, &info, &ev, nullptr);
  c->Open(&dns, &ev);
  ASSERT_TRUE(RunUntil([&] { return ev.closed; }));
  EXPECT_FALSE(ev.connected);
  EXPECT_EQ(ev.failure.code(), Code::kUnavailable);
  EXPECT_NE(ev.failure.message().find("cannot reach nobody.test:9"), std::string::npos)
      << ev.failure.message();
  EXPECT_NE(ev.failure.message().find("127.0.0.3"), std::string::npos) << ev.failure.message();
}

TEST_F(UpstreamConnectionTest, CloseWhileResolvingIsSilent) {
  DnsCache dns(&loop_, 60000);
  OriginInfo info = MakeOriginInfo(MakeOrigin(false, "localhost", 9));
  Events ev;
  auto* c = new UpstreamConnection(&loop_, &info, &ev, nullptr);
  c->Open(&dns, &ev);
  c->Close();
  ASSERT_TRUE(RunUntil([&] { return ev.closed && dns.in_flight() == 0; }));
  EXPECT_TRUE(ev.failure.ok());
  EXPECT_FALSE(ev.connected);
}

}  // namespace
}  // namespace edge::net
