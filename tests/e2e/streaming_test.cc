// Streaming chat completions end to end: the client gets exactly the stream it asked for,
// breaks upstream or downstream never hang, and many streams run at once.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <thread>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

// The resident set of process `pid` in KiB (VmRSS), or -1.
long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class Streaming : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    dir_ = new TempDir();
    fake_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(fake_->ok()) << fake_->process().Stderr();
    std::string base = "http://127.0.0.1:" + std::to_string(fake_->port()) + "/v1";
    std::string models = StandardModels(
        fake_->port(),
        OpenAiDeployment("chat-slow", "gpt-4o-mini@chunks=200@delay=20", base) +
            OpenAiDeployment("chat-break", "gpt-4o-mini@break=2", base) +
            OpenAiDeployment("chat-overlap", "gpt-4o-mini@chunks=5@delay=20", base) +
            OpenAiDeployment("chat-huge", "gpt-4o-mini@chunks=100000", base));
    node_ = new Node(*dir_, TestConfig(models));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete fake_;
    delete dir_;
  }
  uint16_t port() const { return node_->port(); }

  static TempDir* dir_;
  static FakeOpenAI* fake_;
  static Node* node_;
};
TempDir* Streaming::dir_;
FakeOpenAI* Streaming::fake_;
Node* Streaming::node_;

TEST_F(Streaming, WithoutUsageTheClientGetsNoUsageChunk) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->chunked);
  EXPECT_NE(r->Header("content-type").find("text/event-stream"), std::string::npos);
  auto events = SseData(r->body);
  ASSERT_GE(events.size(), 3u) << r->body;
  EXPECT_EQ(events.back(), "[DONE]");
  for (const auto& e : events) {
    EXPECT_EQ(e.find("\"usage\""), std::string::npos) << e;
  }
  EXPECT_NE(r->body.find("chat.completion.chunk"), std::string::npos);
  EXPECT_EQ(r->Header("x-edge-deployment"), DeploymentId(*node_, 0));
  // The node asked the upstream for usage anyway, to bill the call.
  std::string last = fake_->LastRequestJson();
  EXPECT_NE(last.find("include_usage"), std::string::npos) << last;
}

TEST_F(Streaming, WithUsageTheUsageChunkHasEmptyChoices) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                   ChatBody("chat", true, /*include_usage=*/true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto events = SseData(r->body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const std::string& usage = events[events.size() - 2];
  EXPECT_NE(usage.find("\"choices\":[]"), std::string::npos) << usage;
  EXPECT_NE(usage.find("\"prompt_tokens\""), std::string::npos) << usage;
}

TEST_F(Streaming, ChunksArriveAsTheyAreProduced) {
  // 200 chunks 20 ms apart: the first must arrive long before the last is produced.
  auto c = Connection::Open(port());
  ASSERT_TRUE(c);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat-slow", true))));
  std::string first = c->ReadUntil("chat.completion.chunk", 10s);
  EXPECT_NE(first.find("chat.completion.chunk"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(Streaming, ClientDisconnectCancelsTheUpstream) {
  long before = fake_->Stat("streams_cancelled");
  auto c = Connection::Open(port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat-slow", true))));
  std::string first = c->ReadUntil("chat.completion.chunk", 10s);
  ASSERT_NE(first.find("chat.completion.chunk"), std::string::npos);
  c->Reset();
  long after = before;
  for (int i = 0; i < 100 && after <= before; ++i) {
    std::this_thread::sleep_for(50ms);
    after = fake_->Stat("streams_cancelled");
  }
  EXPECT_GT(after, before) << "the upstream stream kept running after the client left";
}

TEST_F(Streaming, UpstreamResetMidStreamEndsWithAnErrorEvent) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                   ChatBody("chat-break", true), 15s);
  ASSERT_TRUE(r) << "the client stream hung or was cut without an end";
  EXPECT_EQ(r->status, 200);
  auto events = SseData(r->body);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.back().find("\"error\""), std::string::npos) << r->body;
  EXPECT_NE(events.back(), "[DONE]");
}

TEST_F(Streaming, Http10ClientGetsACloseDelimitedStream) {
  auto c = Connection::Open(port());
  ASSERT_TRUE(c);
  std::string req = RequestBytes("POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", true));
  req.replace(req.find("HTTP/1.1"), 8, "HTTP/1.0");
  ASSERT_TRUE(c->Send(req));
  auto r = c->ReadResponse(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->chunked);
  EXPECT_TRUE(r->Header("content-length").empty());
  EXPECT_EQ(SseData(r->body).back(), "[DONE]");
}

TEST_F(Streaming, AClientThatStopsReadingPausesItsUpstream) {
  // ~15 MB of stream; the node may hold about 1 MiB for a client that does not read, so the
  // upstream must be paused and cannot finish until the client reads again.
  long completed_before = fake_->Stat("streams_completed");
  auto c = Connection::Open(port());
  ASSERT_TRUE(c);
  c->SetReceiveBuffer(16 * 1024);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat-huge", true))));
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(fake_->Stat("streams_completed"), completed_before)
      << "the upstream ran to the end while the client read nothing";
  // 15 MB through a 16 KiB window: generous, for a loaded CI machine under ASan.
  auto r = c->ReadResponse(180s);
  ASSERT_TRUE(r);
  auto events = SseData(r->body);
  EXPECT_EQ(events.size(), 100000u + 3u);  // role, contents, finish, [DONE]
  EXPECT_EQ(events.back(), "[DONE]");
}

#if defined(__SANITIZE_ADDRESS__)  // gcc
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST_F(Streaming, CommentsBeforeContentAreNotHeldWithoutBound) {
  // 16 MiB of SSE comments before the first chunk, to a client that reads nothing at first.
  // The node holds a stream back until content starts (so a failing deployment can still be
  // replaced), but only so much: then it sends the head and what it held, and the slow
  // client pauses the upstream again. A node of its own, so that its memory is its own.
  std::string base = "http://127.0.0.1:" + std::to_string(fake_->port()) + "/v1";
  std::string models = StandardModels(
      fake_->port(), OpenAiDeployment("chat-comments", "gpt-4o-mini@comments=1024", base));
  Node node(*dir_, TestConfig(models), "node-comments");
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  const long rss_before = RssKib(node.process().pid());
  ASSERT_GT(rss_before, 0);
  long completed_before = fake_->Stat("streams_completed");

  auto c = Connection::Open(node.port());
  ASSERT_TRUE(c);
  c->SetReceiveBuffer(16 * 1024);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat-comments", true))));
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(fake_->Stat("streams_completed"), completed_before)
      << "the node read the whole upstream while the client read nothing";
  const long grown_kib = RssKib(node.process().pid()) - rss_before;
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so there the
  // node's RSS says nothing about what it holds; the upstream left unfinished above does.
  if (!kAddressSanitizer) {
    EXPECT_LT(grown_kib, 8 * 1024) << "the node grew by " << grown_kib << " KiB";
  }

  auto r = c->ReadResponse(180s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(": ppp"), std::string::npos);  // comments relayed as they came
  auto events = SseData(r->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  auto health = Request(node.admin_port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(Streaming, AThousandConcurrentStreamsAllComplete) {
  constexpr int kStreams = 1000;
  std::vector<std::unique_ptr<Connection>> conns;
  std::string req = RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                 ChatBody("chat-overlap", true));
  for (int i = 0; i < kStreams; ++i) {
    auto c = Connection::Open(port());
    ASSERT_TRUE(c) << "connection " << i;
    ASSERT_TRUE(c->Send(req));
    conns.push_back(std::move(c));
  }
  int complete = 0;
  for (auto& c : conns) {
    auto r = c->ReadResponse(60s);
    if (r && r->status == 200 && !SseData(r->body).empty() && SseData(r->body).back() == "[DONE]") {
      ++complete;
    }
  }
  EXPECT_EQ(complete, kStreams);
}

}  // namespace
}  // namespace edge::e2e
