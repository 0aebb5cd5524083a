// The upstream client over TLS: verification against a test CA (ca_file), host names and
// IP subject-alternative names, failures that name their cause, and the connect timeout
// covering the handshake. Certificates come from tests/certs/make_test_certs.sh.

#include <gtest/gtest.h>
#include <uv.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "node/net/tls.h"
#include "node/net/upstream_client.h"
#include "node/net/upstream_test_server.h"

namespace edge::net {
namespace {

using testing::TestServer;

struct Recorder : UpstreamHandler {
  void OnResponseHead(int s, const HeaderList&) override { status = s; }
  void OnResponseBody(std::string_view data) override { body.append(data); }
  void OnResponseComplete() override { complete = ended = true; }
  void OnError(const Status& s, bool) override {
    error = s;
    ended = true;
  }
  std::unique_ptr<UpstreamCall> call;
  int status = 0;
  std::string body;
  bool complete = false;
  bool ended = false;
  Status error;
};

class UpstreamClientTlsTest : public ::testing::Test {
 protected:
  // One certificate set beside the test binary, shared by the test processes ctest starts
  // (the script is idempotent and serializes concurrent runs).
  static void SetUpTestSuite() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    certs_ = new std::string(
        ((ec ? std::filesystem::temp_directory_path() : exe.parent_path()) / "upstream_test_certs")
            .string());
    std::string cmd = "sh " EDGE_SOURCE_DIR "/tests/certs/make_test_certs.sh " + *certs_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { delete certs_; }
  static std::string Path(const std::string& name) { return *certs_ + "/" + name; }

  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    client_ = UpstreamClient::Create(&loop_, PoolOptions());
  }
  void TearDown() override {
    bool closed = false;
    client_->Close([&] { closed = true; });
    EXPECT_TRUE(RunUntil([&] { return closed; }));
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  static std::shared_ptr<TlsServerContext> ServerContext(const std::string& name) {
    auto ctx = TlsServerContext::Load(Path(name + ".crt"), Path(name + ".key"));
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? *ctx : nullptr;
  }
  static std::shared_ptr<TlsClientContext> ClientContext(const std::string& ca) {
    auto ctx = TlsClientContext::Create(true, Path(ca));
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? *ctx : nullptr;
  }

  bool RunUntil(const std::function<bool()>& pred, uint64_t timeout_ms = 10000) {
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

  UpstreamRequest Request(const std::string& host, uint16_t port,
                          std::shared_ptr<TlsClientContext> tls, const std::string& path) {
    UpstreamRequest r;
    r.origin.https = true;
    r.origin.host = host;
    r.origin.port = port;
    r.origin.tls = std::move(tls);
    r.method = "GET";
    r.path = path;
    return r;
  }
  void Exchange(Recorder* rec, UpstreamRequest req) {
    rec->call = client_->Start(std::move(req), rec);
    ASSERT_TRUE(RunUntil([&] { return rec->ended; })) << "request did not end";
  }

  static std::string* certs_;
  uv_loop_t loop_;
  std::unique_ptr<UpstreamClient> client_;
};

std::string* UpstreamClientTlsTest::certs_ = nullptr;

TEST_F(UpstreamClientTlsTest, HttpsWithTestCaAndConnectionReuse) {
  TestServer server(ServerContext("server"));
  ASSERT_TRUE(server.ok());
  auto tls = ClientContext("ca.crt");
  for (int i = 0; i < 3; ++i) {
    Recorder rec;
    Exchange(&rec, Request("localhost", server.port(), tls, i == 1 ? "/chunked" : "/echo"));
    ASSERT_TRUE(rec.complete) << rec.error.ToString();
    EXPECT_EQ(rec.status, 200);
    if (i == 0) {  // https on a non-default port keeps the port in Host
      EXPECT_NE(rec.body.find("Host: localhost:" + std::to_string(server.port())),
                std::string::npos);
    }
  }
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamClientTlsTest, IpHostVerifiedAgainstIpSan) {
  TestServer server(ServerContext("server"));
  Recorder rec;
  Exchange(&rec, Request("127.0.0.1", server.port(), ClientContext("ca.crt"), "/cl"));
  ASSERT_TRUE(rec.complete) << rec.error.ToString();
  EXPECT_EQ(rec.body, "hello");
}

TEST_F(UpstreamClientTlsTest, WrongNameFailsNamingTheCause) {
  TestServer server(ServerContext("wrong-name"));
  for (const char* host : {"localhost", "127.0.0.1"}) {
    Recorder rec;
    Exchange(&rec, Request(host, server.port(), ClientContext("ca.crt"), "/cl"));
    EXPECT_EQ(rec.error.code(), Code::kUnavailable) << host;
    const std::string& m = rec.error.message();
    EXPECT_NE(m.find(std::string(host) + ":" + std::to_string(server.port())), std::string::npos)
        << m;
    EXPECT_NE(m.find("certificate verification failed"), std::string::npos) << m;
  }
  EXPECT_EQ(client_->idle_connections(), 0u);
}

TEST_F(UpstreamClientTlsTest, UnknownCaFails) {
  TestServer server(ServerContext("server"));
  Recorder rec;
  Exchange(&rec, Request("localhost", server.port(), ClientContext("other-ca.crt"), "/cl"));
  EXPECT_EQ(rec.error.code(), Code::kUnavailable);
  EXPECT_NE(rec.error.message().find("TLS"), std::string::npos) << rec.error.message();
}

TEST_F(UpstreamClientTlsTest, ConnectTimeoutCoversTheHandshake) {
  TestServer plain;  // accepts TCP, never answers a ClientHello
  UpstreamRequest req = Request("127.0.0.1", plain.port(), ClientContext("ca.crt"), "/cl");
  req.timeouts.connect_ms = 150;
  Recorder rec;
  Exchange(&rec, std::move(req));
  EXPECT_EQ(rec.error.code(), Code::kDeadlineExceeded) << rec.error.ToString();
  EXPECT_NE(rec.error.message().find("connect to 127.0.0.1:" + std::to_string(plain.port()) +
                                     " timed out"),
            std::string::npos)
      << rec.error.message();
}

TEST_F(UpstreamClientTlsTest, HttpsWithoutContextIsRejected) {
  TestServer server(ServerContext("server"));
  Recorder rec;
  Exchange(&rec, Request("localhost", server.port(), nullptr, "/cl"));
  EXPECT_EQ(rec.error.code(), Code::kInvalidArgument);
  EXPECT_EQ(client_->connections_opened(), 0u);
}

TEST_F(UpstreamClientTlsTest, DifferentTlsContextsNeverShareAConnection) {
  TestServer server(ServerContext("server"));
  auto a = ClientContext("ca.crt");
  auto b = ClientContext("ca.crt");
  Recorder r1, r2, r3;
  Exchange(&r1, Request("localhost", server.port(), a, "/cl"));
  Exchange(&r2, Request("localhost", server.port(), b, "/cl"));
  Exchange(&r3, Request("localhost", server.port(), a, "/cl"));
  EXPECT_TRUE(r1.complete && r2.complete && r3.complete);
  EXPECT_EQ(client_->connections_opened(), 2u);
  EXPECT_EQ(client_->idle_connections(), 2u);
}

}  // namespace
}  // namespace edge::net
