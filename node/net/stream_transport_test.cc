// StreamTransport over loopback, both ends on one loop that the test pumps: echo, coalesced
// writes under back-pressure, connect failures, the close sequence and TLS.

#include "node/net/stream_transport.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace edge::net {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) % 251);
  return s;
}

// The accepting side: echoes (or sinks) and records how it ended.
struct ServerSide : TransportObserver {
  StreamTransport* t = nullptr;
  std::string received;
  bool echo = true;
  bool eof = false;
  int closed = 0;
  Status why;
  void OnData(StreamTransport& tr, std::string_view d) override {
    received.append(d);
    if (echo) tr.Write(d);
  }
  void OnEof(StreamTransport& tr) override {
    eof = true;
    tr.CloseAfterFlush();
  }
  void OnClosed(StreamTransport&, const Status& w) override {
    ++closed;
    why = w;
    t = nullptr;
  }
};

struct ClientSide : TransportObserver {
  StreamTransport* t = nullptr;
  std::string received;
  size_t expect = 0;
  int connected = 0;
  int drained = 0;
  bool eof = false;
  int closed = 0;
  Status why;
  std::string to_send;
  void OnConnected(StreamTransport& tr) override {
    ++connected;
    if (!to_send.empty()) tr.Write(to_send);
  }
  void OnData(StreamTransport& tr, std::string_view d) override {
    received.append(d);
    if (expect && received.size() >= expect) tr.CloseAfterFlush();
  }
  void OnEof(StreamTransport& tr) override {
    eof = true;
    tr.Close();
  }
  void OnWriteDrained(StreamTransport&) override { ++drained; }
  void OnClosed(StreamTransport&, const Status& w) override {
    ++closed;
    why = w;
    t = nullptr;
  }
};

class StreamTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_EQ(uv_tcp_init(&loop_, &listener_), 0);
    listener_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    ASSERT_EQ(uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&addr), 0), 0);
    ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, OnConnection), 0);
    int len = sizeof(bound_);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound_), &len);
  }
  void TearDown() override {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  static void OnConnection(uv_stream_t* l, int status) {
    auto* self = static_cast<StreamTransportTest*>(l->data);
    ASSERT_EQ(status, 0);
    self->server_.t = StreamTransport::Accept(l, self->server_tls_, &self->server_);
  }
  // Runs the loop until `done` or a generous deadline.
  template <typename F>
  void RunUntil(F done) {
    uint64_t start = uv_now(&loop_);
    while (!done() && uv_now(&loop_) - start < 10000) uv_run(&loop_, UV_RUN_ONCE);
  }
  StreamTransport* ConnectClient(std::shared_ptr<TlsClientContext> tls = nullptr,
                                 const std::string& host = "localhost") {
    client_.t =
        StreamTransport::Connect(&loop_, reinterpret_cast<sockaddr*>(&bound_), tls, host, &client_);
    return client_.t;
  }

  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  sockaddr_in bound_{};
  std::shared_ptr<TlsServerContext> server_tls_;
  ServerSide server_;
  ClientSide client_;
};

TEST_F(StreamTransportTest, EchoesAndClosesOnce) {
  client_.to_send = "hello over tcp";
  client_.expect = client_.to_send.size();
  ConnectClient();
  RunUntil([&] { return client_.closed && server_.closed; });
  EXPECT_EQ(client_.connected, 1);
  EXPECT_EQ(client_.received, "hello over tcp");
  EXPECT_EQ(server_.received, "hello over tcp");
  EXPECT_TRUE(server_.eof);
  EXPECT_EQ(client_.closed, 1);
  EXPECT_EQ(server_.closed, 1);
  EXPECT_TRUE(client_.why.ok()) << client_.why.ToString();
  EXPECT_TRUE(server_.why.ok()) << server_.why.ToString();
}

TEST_F(StreamTransportTest, WritesBeforeConnectAreQueued) {
  ConnectClient();
  const std::string_view parts[] = {"one ", "two ", "three"};
  EXPECT_TRUE(client_.t->Writev(parts, 3));
  client_.expect = 13;
  RunUntil([&] { return client_.closed && server_.closed; });
  EXPECT_EQ(client_.received, "one two three");
}

TEST_F(StreamTransportTest, BackPressureKeepsBufferBoundedAndLosesNothing) {
  server_.echo = false;
  ConnectClient();
  RunUntil([&] { return client_.connected && server_.t; });
  ASSERT_NE(server_.t, nullptr);
  client_.t->SetWaterMarks(64 * 1024, 256 * 1024);
  const std::string data = Pattern(16 << 20);
  const size_t kChunk = 16 * 1024;
  size_t sent = 0;
  size_t max_buffered = 0;
  int false_returns = 0;
  server_.t->PauseReading();  // the receiver stops reading: the sender must stall
  while (sent < data.size()) {
    bool more = client_.t->Write(std::string_view(data).substr(sent, kChunk));
    sent += kChunk;
    max_buffered = std::max(max_buffered, client_.t->buffered());
    if (!more) {
      ++false_returns;
      int drained_before = client_.drained;
      if (false_returns == 1) {
        // Nothing moves while the peer does not read.
        for (int i = 0; i < 20; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
        EXPECT_EQ(client_.drained, drained_before);
        server_.t->ResumeReading();
      }
      RunUntil([&] { return client_.drained > drained_before; });
      ASSERT_GT(client_.drained, drained_before);
    }
  }
  EXPECT_GT(false_returns, 0);
  EXPECT_LE(max_buffered, 256 * 1024 + kChunk);
  client_.t->CloseAfterFlush();
  RunUntil([&] { return client_.closed && server_.closed; });
  ASSERT_EQ(server_.received.size(), data.size());
  EXPECT_TRUE(server_.received == data);
}

TEST_F(StreamTransportTest, ConnectFailureIsUnavailable) {
  // Bind a port, then close it, so that nothing listens there.
  uv_tcp_t tmp;
  uv_tcp_init(&loop_, &tmp);
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&tmp, reinterpret_cast<sockaddr*>(&addr), 0);
  sockaddr_in dead{};
  int len = sizeof(dead);
  uv_tcp_getsockname(&tmp, reinterpret_cast<sockaddr*>(&dead), &len);
  uv_close(reinterpret_cast<uv_handle_t*>(&tmp), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
  client_.t =
      StreamTransport::Connect(&loop_, reinterpret_cast<sockaddr*>(&dead), nullptr, "", &client_);
  EXPECT_EQ(client_.closed, 0);  // never synchronously
  RunUntil([&] { return client_.closed > 0; });
  EXPECT_EQ(client_.closed, 1);
  EXPECT_EQ(client_.connected, 0);
  EXPECT_EQ(client_.why.code(), Code::kUnavailable);
}

TEST_F(StreamTransportTest, PeerResetIsReportedAsError) {
  ConnectClient();
  RunUntil([&] { return client_.connected && server_.t; });
  ASSERT_NE(server_.t, nullptr);
  // The server closes with unread input, so its kernel answers with a reset.
  server_.t->PauseReading();
  client_.t->Write("unread");
  for (int i = 0; i < 10; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  server_.t->Close();
  RunUntil([&] { return client_.closed > 0; });
  EXPECT_EQ(client_.closed, 1);
  EXPECT_FALSE(client_.eof);
  EXPECT_EQ(client_.why.code(), Code::kUnavailable) << client_.why.ToString();
  EXPECT_EQ(server_.closed, 1);
  EXPECT_TRUE(server_.why.ok());
}

TEST_F(StreamTransportTest, CloseBeforeConnectCompletes) {
  ConnectClient();
  client_.t->Close();
  client_.t->Close();  // idempotent
  RunUntil([&] { return client_.closed > 0; });
  EXPECT_EQ(client_.closed, 1);
  EXPECT_EQ(client_.connected, 0);
  RunUntil([&] { return server_.closed > 0 || !server_.t; });
}

class StreamTransportTlsTest : public StreamTransportTest {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/edge_transport_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    std::string cmd = "sh " EDGE_SOURCE_DIR "/tests/certs/make_test_certs.sh " + *dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    StreamTransportTest::SetUp();
    auto server = TlsServerContext::Load(*dir_ + "/server.crt", *dir_ + "/server.key");
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_tls_ = *server;
  }
  static std::shared_ptr<TlsClientContext> ClientContext(const std::string& ca) {
    auto ctx = TlsClientContext::Create(true, *dir_ + "/" + ca);
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    return ctx.ok() ? *ctx : nullptr;
  }
  static std::string* dir_;
};
std::string* StreamTransportTlsTest::dir_ = nullptr;

TEST_F(StreamTransportTlsTest, EchoesOverTls) {
  const std::string data = Pattern(300 * 1024);
  client_.to_send = data;
  client_.expect = data.size();
  ConnectClient(ClientContext("ca.crt"), "localhost");
  RunUntil([&] { return client_.closed && server_.closed; });
  EXPECT_EQ(client_.connected, 1);
  EXPECT_TRUE(client_.received == data);
  EXPECT_TRUE(server_.eof);  // close_notify
  EXPECT_TRUE(client_.why.ok()) << client_.why.ToString();
  EXPECT_TRUE(server_.why.ok()) << server_.why.ToString();
}

TEST_F(StreamTransportTlsTest, UnknownCaFailsBeforeOnConnected) {
  client_.to_send = "never";
  ConnectClient(ClientContext("other-ca.crt"), "localhost");
  RunUntil([&] { return client_.closed && server_.closed; });
  EXPECT_EQ(client_.connected, 0);
  EXPECT_EQ(client_.why.code(), Code::kUnavailable);
  EXPECT_TRUE(server_.received.empty());
}

// Mutual TLS (the gossip port): both ends present a certificate of the same CA. The client
// writes before it is even connected, as the gossip does: the bytes wait for the handshake.
TEST_F(StreamTransportTlsTest, MutualTlsEchoesWhenBothCertificatesChainToTheCa) {
  auto server = TlsServerContext::LoadMutual(*dir_ + "/peer.crt", *dir_ + "/peer.key",
                                             *dir_ + "/ca.crt");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_tls_ = *server;
  auto client = TlsClientContext::CreateMutual(*dir_ + "/ca.crt", *dir_ + "/peer.crt",
                                               *dir_ + "/peer.key");
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const std::string data = Pattern(64 * 1024);
  client_.expect = data.size();
  ConnectClient(*client, "127.0.0.1");
  ASSERT_NE(client_.t, nullptr);
  client_.t->Write(data);
  RunUntil([&] { return client_.closed && server_.closed; });
  EXPECT_EQ(client_.connected, 1);
  EXPECT_TRUE(client_.received == data);
  EXPECT_TRUE(client_.why.ok()) << client_.why.ToString();
}

TEST_F(StreamTransportTlsTest, MutualTlsRefusesAClientWithoutACertificateOfTheCa) {
  auto server = TlsServerContext::LoadMutual(*dir_ + "/peer.crt", *dir_ + "/peer.key",
                                             *dir_ + "/ca.crt");
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  server_tls_ = *server;
  for (const char* leaf : {"", "other-peer"}) {
    std::shared_ptr<TlsClientContext> ctx;
    if (*leaf == '\0') {
      ctx = ClientContext("ca.crt");  // presents no certificate
    } else {
      auto c = TlsClientContext::CreateMutual(*dir_ + "/ca.crt", *dir_ + "/" + leaf + ".crt",
                                              *dir_ + "/" + leaf + ".key");
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      ctx = *c;
    }
    client_ = ClientSide();
    server_ = ServerSide();
    client_.to_send = "never";
    ConnectClient(ctx, "127.0.0.1");
    RunUntil([&] { return client_.closed && server_.closed; });
    EXPECT_EQ(client_.connected, 0) << leaf;
    EXPECT_FALSE(server_.why.ok()) << leaf;
    EXPECT_TRUE(server_.received.empty()) << leaf;
  }
}

TEST(TlsContexts, MutualContextsCheckTheirFiles) {
  EXPECT_FALSE(TlsServerContext::LoadMutual("/nonexistent.crt", "/nonexistent.key", "/x").ok());
  EXPECT_FALSE(TlsClientContext::CreateMutual("", "/nonexistent.crt", "/nonexistent.key").ok());
}

}  // namespace
}  // namespace edge::net
