// Every client API against every provider, through a real node and the fake providers,
// with the official SDKs where they exist: the caller does not care who answers.

#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

struct SdkResult {
  bool ok = false;
  std::string json;
  long Number(const std::string& key) const {
    std::smatch m;
    if (!std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)"))) return -1;
    return std::stol(m[1]);
  }
  std::string String(const std::string& key) const {
    std::smatch m;
    if (!std::regex_search(json, m, std::regex("\"" + key + "\":\"([^\"]*)\""))) return "";
    return m[1];
  }
};

class Providers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    openai_ = new FakeProvider(*dir_, "fake_openai.py");
    anthropic_ = new FakeProvider(*dir_, "fake_anthropic.py");
    bedrock_ = new FakeProvider(*dir_, "fake_bedrock.py");
    gemini_ = new FakeProvider(*dir_, "fake_gemini.py");
    for (FakeProvider* f : {openai_, anthropic_, bedrock_, gemini_}) {
      ASSERT_TRUE(f->ok()) << f->process().Stderr();
    }
    std::string aws = "      aws_region_name: eu-central-1\n"
                      "      aws_access_key_id: AKIDEXAMPLE\n"
                      "      aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n";
    std::string models =
        Deployment("gpt", "openai/gpt-4o-mini", openai_->base_url() + "/v1") +
        Deployment("claude", "anthropic/claude-sonnet-4-6", anthropic_->base_url()) +
        Deployment("bedrock-claude", "bedrock/eu.anthropic.claude-sonnet-4-6", bedrock_->base_url(), aws) +
        Deployment("gemini", "gemini/gemini-2.5-flash", gemini_->base_url()) +
        Deployment("azure", "azure/gpt4o-eu", openai_->base_url(), "      api_version: \"2024-10-21\"\n") +
        // Fallback: the first deployment is overloaded, the second answers.
        Deployment("resilient", "anthropic/claude-sonnet-4-6@529", anthropic_->base_url(), "      order: 1\n") +
        Deployment("resilient", "openai/gpt-4o-mini", openai_->base_url() + "/v1", "      order: 2\n") +
        Deployment("resilient-stream", "anthropic/claude-sonnet-4-6@overloaded_in_stream",
                   anthropic_->base_url(), "      order: 1\n") +
        Deployment("resilient-stream", "bedrock/eu.anthropic.claude-sonnet-4-6", bedrock_->base_url(),
                   aws + "      order: 2\n") +
        Deployment("us-only", "openai/gpt-4o-mini", openai_->base_url() + "/v1", "", "US") +
        Deployment("embed", "openai/text-embedding-3-small", openai_->base_url() + "/v1");
    node_ = new Node(*dir_, TestConfig(models, "", 2) +
                                "router_settings:\n  routing_strategy: simple-shuffle\n  num_retries: 2\n");
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete node_;
    for (FakeProvider* f : {openai_, anthropic_, bedrock_, gemini_}) delete f;
    delete dir_;
  }

  SdkResult Sdk(const std::string& kind, const std::string& model, bool stream) {
    static int n = 0;
    Process p({"/usr/bin/env", "node", SourceDir() + "/tests/e2e/sdk/client.mjs", kind,
               "http://127.0.0.1:" + std::to_string(node_->port()), kTestKey, model,
               stream ? "stream" : "whole"},
              dir_->path(), "sdk" + std::to_string(n++));
    SdkResult r;
    auto code = p.Wait(60s);
    r.json = p.Stdout() + p.Stderr();
    r.ok = code == std::optional<int>(0) && r.json.find("\"ok\":true") != std::string::npos;
    return r;
  }

  static TempDir* dir_;
  static FakeProvider *openai_, *anthropic_, *bedrock_, *gemini_;
  static Node* node_;
};
TempDir* Providers::dir_;
FakeProvider *Providers::openai_, *Providers::anthropic_, *Providers::bedrock_, *Providers::gemini_;
Node* Providers::node_;

// The OpenAI SDK's chat completions, answered by each provider.
TEST_F(Providers, OpenAiChatFromEveryProvider) {
  for (const char* model : {"gpt", "claude", "bedrock-claude", "gemini", "azure"}) {
    for (bool stream : {false, true}) {
      SdkResult r = Sdk("openai-chat", model, stream);
      ASSERT_TRUE(r.ok) << model << (stream ? " stream: " : ": ") << r.json;
      EXPECT_NE(r.String("text").find("tok1"), std::string::npos) << model << ": " << r.json;
      EXPECT_EQ(r.String("finish"), "stop") << model << ": " << r.json;
      EXPECT_EQ(r.Number("input_tokens"), 5) << model << ": " << r.json;
      EXPECT_GT(r.Number("output_tokens"), 0) << model << ": " << r.json;
    }
  }
}

// The Anthropic SDK's messages, answered by each provider (pass-through for Anthropic).
TEST_F(Providers, AnthropicMessagesFromEveryProvider) {
  for (const char* model : {"claude", "gpt", "bedrock-claude", "gemini"}) {
    for (bool stream : {false, true}) {
      SdkResult r = Sdk("anthropic-messages", model, stream);
      ASSERT_TRUE(r.ok) << model << (stream ? " stream: " : ": ") << r.json;
      EXPECT_NE(r.String("text").find("tok1"), std::string::npos) << model << ": " << r.json;
      EXPECT_EQ(r.String("stop_reason"), "end_turn") << model << ": " << r.json;
      // "Be brief." + "Say hello to the edge": every fake counts the words it was sent.
      EXPECT_EQ(r.Number("input_tokens"), 7) << model << ": " << r.json;
      EXPECT_GT(r.Number("output_tokens"), 0) << model << ": " << r.json;
    }
  }
}

// The OpenAI SDK's Responses API, translated for providers other than OpenAI.
TEST_F(Providers, ResponsesApiFromTranslatedProviders) {
  for (const char* model : {"claude", "bedrock-claude", "gemini"}) {
    for (bool stream : {false, true}) {
      SdkResult r = Sdk("openai-responses", model, stream);
      ASSERT_TRUE(r.ok) << model << (stream ? " stream: " : ": ") << r.json;
      EXPECT_NE(r.String("text").find("tok1"), std::string::npos) << model << ": " << r.json;
      EXPECT_EQ(r.Number("input_tokens"), 7) << model << ": " << r.json;
    }
  }
}

TEST_F(Providers, OverloadedDeploymentFallsBackToTheNext) {
  auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("resilient", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Header("x-edge-attempts"), "2");
  EXPECT_EQ(r->Header("x-edge-deployment"), "resilient/6");
}

TEST_F(Providers, StreamThatFailsBeforeContentFallsBackInvisibly) {
  auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(),
                   ChatBody("resilient-stream", true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Header("x-edge-attempts"), "2") << r->body;
  auto events = SseData(r->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(r->body.find("overloaded"), std::string::npos) << "the first attempt leaked: " << r->body;
}

TEST_F(Providers, PinnedCallerNeverCrossesTheBorder) {
  // The node is in the EU and EU is pinned: a model hosted only in the US is refused.
  auto r = Request(node_->port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("us-only", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_NE(r->body.find("residency_unavailable"), std::string::npos) << r->body;
  EXPECT_EQ(openai_->LastRequestJson().find("us-only"), std::string::npos);
}

TEST_F(Providers, MessagesErrorsUseTheAnthropicShape) {
  auto r = Request(node_->port(), "POST", "/v1/messages", {{"x-api-key", "sk-wrong"}},
                   R"({"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("\"type\":\"error\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"authentication_error\""), std::string::npos) << r->body;
}

}  // namespace
}  // namespace edge::e2e
