// Connection-level behaviour of a node: timeouts, keep-alive reuse, TLS termination and
// graceful shutdown.

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

class Connections : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeOpenAI>(dir_);
    ASSERT_TRUE(fake_->ok()) << fake_->process().Stderr();
  }
  std::unique_ptr<Node> StartNode(const std::string& node_extra = "", const std::string& more = "") {
    auto node = std::make_unique<Node>(dir_, TestConfig(StandardModels(fake_->port(), more), node_extra));
    EXPECT_TRUE(node->ok()) << node->process().Stderr();
    return node;
  }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(fake_->port()) + "/v1"; }

  TempDir dir_;
  std::unique_ptr<FakeOpenAI> fake_;
};

TEST_F(Connections, SlowHeaderSenderIsCutOff) {
  auto node = StartNode("  header_timeout_ms: 300\n");
  ASSERT_TRUE(node->ok());
  auto c = Connection::Open(node->port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"));
  for (int i = 0; i < 3; ++i) {  // a trickle that never finishes the header block
    std::this_thread::sleep_for(100ms);
    c->Send("X-A: b\r\n");
  }
  EXPECT_TRUE(c->WaitClosed(5s)) << "a slowloris client was not cut off";
}

TEST_F(Connections, KeepAliveReusesUpstreamConnections) {
  auto node = StartNode();
  ASSERT_TRUE(node->ok());
  long before = fake_->Stat("connections_opened");
  auto c = Connection::Open(node->port());
  ASSERT_TRUE(c);
  std::string req = RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", false));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c->Send(req));
    auto r = c->ReadResponse(10s);
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200);
  }
  long opened = fake_->Stat("connections_opened") - before;
  EXPECT_GE(opened, 1);
  EXPECT_LE(opened, 4) << "200 sequential requests should share a few pooled connections";
}

TEST_F(Connections, PipelinedRequestsAreAnsweredInOrder) {
  auto node = StartNode();
  ASSERT_TRUE(node->ok());
  auto c = Connection::Open(node->port());
  ASSERT_TRUE(c);
  std::string chat = RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", false));
  std::string models = RequestBytes("GET", "/v1/models", AuthHeaders(), "");
  ASSERT_TRUE(c->Send(chat + models + chat));
  auto a = c->ReadResponse(10s), b = c->ReadResponse(10s), d = c->ReadResponse(10s);
  ASSERT_TRUE(a && b && d);
  EXPECT_NE(a->body.find("chat.completion"), std::string::npos);
  EXPECT_NE(b->body.find("\"object\":\"list\""), std::string::npos);
  EXPECT_NE(d->body.find("chat.completion"), std::string::npos);
}

TEST_F(Connections, TlsTermination) {
  std::string certs = dir_.path() + "/certs";
  ASSERT_EQ(std::system(("bash " + SourceDir() + "/tests/certs/make_test_certs.sh " + certs +
                         " >/dev/null 2>&1").c_str()), 0);
  auto node = StartNode("  tls:\n    cert: " + certs + "/server.crt\n    key: " + certs + "/server.key\n");
  ASSERT_TRUE(node->ok());
  std::string out = dir_.path() + "/curl.out";
  std::string cmd = "curl -sS --max-time 10 --cacert " + certs + "/ca.crt -H 'Authorization: Bearer " +
                    kTestKey + "' -H 'Content-Type: application/json' -d '" + ChatBody("chat", false) +
                    "' -o " + out + " -w '%{http_code}' https://127.0.0.1:" +
                    std::to_string(node->port()) + "/v1/chat/completions > " + out + ".code";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(ReadFile(out + ".code"), "200");
  EXPECT_NE(ReadFile(out).find("chat.completion"), std::string::npos);
  // Plain HTTP on the TLS port is not served.
  auto plain = Request(node->port(), "GET", "/v1/models", AuthHeaders(), "", 3s);
  EXPECT_FALSE(plain && plain->status == 200);
}

TEST_F(Connections, SigtermLetsInFlightStreamsFinish) {
  auto node = StartNode("", OpenAiDeployment("chat-slow", "gpt-4o-mini@chunks=20@delay=50", Base()));
  ASSERT_TRUE(node->ok());
  auto c = Connection::Open(node->port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat-slow", true))));
  std::string first = c->ReadUntil("chat.completion.chunk", 10s);
  ASSERT_NE(first.find("chat.completion.chunk"), std::string::npos);
  node->process().Signal(SIGTERM);
  std::string rest = c->ReadUntil("data: [DONE]", 15s);
  EXPECT_NE((first + rest).find("data: [DONE]"), std::string::npos) << "the in-flight stream was cut";
  EXPECT_EQ(node->process().Wait(15s), std::optional<int>(0)) << node->process().Stderr();
}

TEST_F(Connections, AClientThatNeverReadsIsDroppedAndItsUpstreamCancelled) {
  auto node = StartNode("  write_timeout_ms: 500\n",
                        OpenAiDeployment("chat-huge", "gpt-4o-mini@chunks=100000", Base()));
  ASSERT_TRUE(node->ok());
  long before = fake_->Stat("streams_cancelled");
  auto c = Connection::Open(node->port());
  ASSERT_TRUE(c);
  c->SetReceiveBuffer(16 * 1024);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat-huge", true))));
  long after = before;
  for (int i = 0; i < 200 && after <= before; ++i) {
    std::this_thread::sleep_for(50ms);
    after = fake_->Stat("streams_cancelled");
  }
  EXPECT_GT(after, before) << "a client that never reads must not hold its upstream forever";
}

TEST_F(Connections, ReadyzAndHealthzOnTheAdminListener) {
  auto node = StartNode();
  ASSERT_TRUE(node->ok());
  auto h = Request(node->admin_port(), "GET", "/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto other = Request(node->admin_port(), "GET", "/admin/spend");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);
}

}  // namespace
}  // namespace edge::e2e
