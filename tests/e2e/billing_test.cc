// Every call that reached a provider is billed, however it ended: completed streams by the
// provider's report, streams the client cancelled or a timeout cut by what is known so
// far (the provider's partial report, completed by estimates), visible on GET /metrics.

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

class Billing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    openai_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(openai_->ok()) << openai_->process().Stderr();
    anthropic_ = new FakeProvider(*dir_, "fake_anthropic.py");
    ASSERT_TRUE(anthropic_->ok()) << anthropic_->process().Stderr();
    std::string openai_base = openai_->base_url() + "/v1";
    std::string models = StandardModels(
        openai_->port(),
        OpenAiDeployment("chat-done", "gpt-4o-mini@chunks=5", openai_base) +
            OpenAiDeployment("chat-slow", "gpt-4o-mini@chunks=200@delay=20", openai_base) +
            // A total timeout of one second cuts this stream of ten seconds.
            Deployment("claude-cut", "anthropic/claude-sonnet-4-6@chunks=200@delay=50",
                       anthropic_->base_url(), "      timeout: 1\n"));
    node_ = new Node(*dir_, TestConfig(models));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete anthropic_;
    delete openai_;
    delete dir_;
  }

  // The value of the metric line that has every one of `parts`, or -1.
  static long Metric(const std::vector<std::string>& parts) {
    auto r = Request(node_->admin_port(), "GET", "/metrics",
                     {{"Authorization", std::string("Bearer ") + kAdminKey}});
    if (!r || r->status != 200) return -1;
    std::istringstream lines(r->body);
    std::string line;
    while (std::getline(lines, line)) {
      bool all = !line.empty() && line[0] != '#';
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return std::stol(line.substr(line.rfind(' ') + 1));
    }
    return -1;
  }
  // Waits for the request to be finalized (the node records it after the client left).
  static long AwaitMetric(const std::vector<std::string>& parts) {
    long v = -1;
    for (int i = 0; i < 100 && v < 0; ++i) {
      v = Metric(parts);
      if (v < 0) std::this_thread::sleep_for(50ms);
    }
    return v;
  }

  static TempDir* dir_;
  static FakeOpenAI* openai_;
  static FakeProvider* anthropic_;
  static Node* node_;
};
TempDir* Billing::dir_;
FakeOpenAI* Billing::openai_;
FakeProvider* Billing::anthropic_;
Node* Billing::node_;

TEST_F(Billing, MetricsNeedTheAdminKey) {
  auto r = Request(node_->admin_port(), "GET", "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(Billing, ACompletedStreamIsBilledAsTheProviderReported) {
  auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(),
                   ChatBody("chat-done", true, false, "one two three"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string series = "model=\"chat-done\"";
  EXPECT_EQ(AwaitMetric({"llm_edge_requests_total", series, "outcome=\"ok\""}), 1);
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "type=\"input\"", "estimated=\"false\""}), 3);
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "type=\"output\"", "estimated=\"false\""}), 5);
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "estimated=\"true\""}), -1);
  EXPECT_EQ(Metric({series, "team=\"search\"", "env=\"test\"", "outcome=\"ok\""}), 1);
}

TEST_F(Billing, AStreamTheClientCancelsIsBilledWithEstimates) {
  auto c = Connection::Open(node_->port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Send(RequestBytes("POST", "/v1/chat/completions", AuthHeaders(),
                                   ChatBody("chat-slow", true, false, "one two three"))));
  std::string got = c->ReadUntil(" tok5", 10s);
  ASSERT_NE(got.find(" tok5"), std::string::npos) << got;
  c->Reset();

  const std::string series = "model=\"chat-slow\"";
  EXPECT_EQ(AwaitMetric({"llm_edge_requests_total", series, "outcome=\"cancelled\""}), 1);
  // OpenAI reports usage only at the end: both sides are estimated. The prompt's text
  // ("one two three", 13 characters) is 4 tokens plus 4 for the message's framing; the
  // output at least the ~60 characters the client saw, far less than the 200 pieces.
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "type=\"input\"", "estimated=\"true\""}), 8);
  long output = Metric({"llm_edge_tokens_total", series, "type=\"output\"", "estimated=\"true\""});
  EXPECT_GE(output, 15);
  EXPECT_LT(output, 200);
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "estimated=\"false\""}), -1);
}

TEST_F(Billing, AStreamCutByATimeoutKeepsTheProvidersPromptCount) {
  auto c = Connection::Open(node_->port());
  ASSERT_TRUE(c);
  std::map<std::string, std::string> headers = AuthHeaders();
  headers["anthropic-version"] = "2023-06-01";
  ASSERT_TRUE(c->Send(RequestBytes(
      "POST", "/v1/messages", headers,
      R"({"model":"claude-cut","max_tokens":1000,"stream":true,)"
      R"("messages":[{"role":"user","content":"one two three four five six seven"}]})")));
  std::string got = c->ReadUntil("event: error", 15s);
  ASSERT_NE(got.find("content_block_delta"), std::string::npos) << got;
  ASSERT_NE(got.find("event: error"), std::string::npos) << got;

  const std::string series = "model=\"claude-cut\"";
  EXPECT_EQ(AwaitMetric({"llm_edge_requests_total", series, "outcome=\"timeout\""}), 1);
  // message_start reported the prompt (seven words in the fake's count): that number is
  // billed, not an estimate of it; the output is estimated from the text that flowed.
  EXPECT_EQ(Metric({"llm_edge_tokens_total", series, "type=\"input\"", "estimated=\"true\""}), 7);
  EXPECT_GT(Metric({"llm_edge_tokens_total", series, "type=\"output\"", "estimated=\"true\""}), 1);
}

TEST_F(Billing, AModelTheConfigDoesNotHaveIsCountedAsUnknown) {
  // The model a client names is its own text, up to the whole body: as a label it would stay
  // in memory for good and go out on every scrape. Only configured aliases are labels.
  const std::string name = "no-such-model-" + std::string(1 << 20, 'x');
  for (int i = 0; i < 3; ++i) {
    auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(),
                     ChatBody(name + std::to_string(i), false));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
  }
  // Each request is counted once its reply is sent: wait for all three.
  const std::vector<std::string> unknown = {"llm_edge_requests_total", "model=\"_unknown\"",
                                            "outcome=\"rejected\""};
  long counted = AwaitMetric(unknown);
  for (int i = 0; i < 100 && counted < 3; ++i) {
    std::this_thread::sleep_for(50ms);
    counted = Metric(unknown);
  }
  EXPECT_EQ(counted, 3);
  auto metrics = Request(node_->admin_port(), "GET", "/metrics",
                         {{"Authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body.find("no-such-model"), std::string::npos);
  EXPECT_LT(metrics->body.size(), 64u * 1024);
}

}  // namespace
}  // namespace edge::e2e
