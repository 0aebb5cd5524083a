// Every client API against every provider, through a real node and the fake providers,
// with the official SDKs where they exist: the caller does not care who answers.

#include <gtest/gtest.h>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/fakes.h"
#include "tests/e2e/harness/json.h"
#include "tests/e2e/harness/sdk.h"

namespace edge::e2e {
namespace {

class Providers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stage_ = new FleetStage();
    FakeProvider& openai = stage_->fakes.For(Provider::kOpenAi);
    FakeProvider& anthropic = stage_->fakes.For(Provider::kAnthropic);
    FakeProvider& bedrock = stage_->fakes.For(Provider::kBedrock);
    std::string models =
        ProviderDeployment(Provider::kOpenAi, "gpt", openai) +
        ProviderDeployment(Provider::kAnthropic, "claude", anthropic) +
        ProviderDeployment(Provider::kBedrock, "bedrock-claude", bedrock) +
        ProviderDeployment(Provider::kGemini, "gemini", stage_->fakes.For(Provider::kGemini)) +
        ProviderDeployment(Provider::kAzure, "azure", openai) +
        // Fallback: the first deployment is overloaded, the second answers.
        ProviderDeployment(Provider::kAnthropic, "resilient", anthropic, "@529", "      order: 1\n") +
        ProviderDeployment(Provider::kOpenAi, "resilient", openai, "", "      order: 2\n") +
        ProviderDeployment(Provider::kAnthropic, "resilient-stream", anthropic, "@overloaded_in_stream",
                           "      order: 1\n") +
        ProviderDeployment(Provider::kBedrock, "resilient-stream", bedrock, "", "      order: 2\n") +
        Deployment("us-only", "openai/gpt-4o-mini", openai.base_url() + "/v1", "", "US") +
        Deployment("embed", "openai/text-embedding-3-small", openai.base_url() + "/v1") +
        ProviderDeployment(Provider::kAzure, "azure-throttled", openai, "@429@retry_ms=2500") +
        // Gemini 3's function calls: signed, and refused back without their signature.
        ProviderDeployment(Provider::kGemini, "gemini-signed", stage_->fakes.For(Provider::kGemini),
                           "@tool@signatures");
    ASSERT_EQ(stage_->Start(models, "router_settings:\n  routing_strategy: simple-shuffle\n  num_retries: 2\n"),
              "");
  }
  static void TearDownTestSuite() { delete stage_; }

  static uint16_t port() { return stage_->node->port(); }
  SdkResult Sdk(const std::string& kind, const std::string& model, bool stream) {
    return RunSdk(stage_->dir, kind, port(), model, stream);
  }

  static FleetStage* stage_;
};
FleetStage* Providers::stage_;

// Azure may say when to come back only in milliseconds (retry-after-ms): the client still
// gets a Retry-After in whole seconds, rounded up.
TEST_F(Providers, AzureThrottlingInMillisecondsBecomesRetryAfter) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                   ChatBody("azure-throttled", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(r->Header("retry-after"), "3");
  EXPECT_NE(r->body.find("\"error\""), std::string::npos) << r->body;
}

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

TEST_F(Providers, OverloadedDeploymentFallsBackToTheNext) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("resilient", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->Header("x-edge-attempts"), "2");
  EXPECT_EQ(r->Header("x-edge-deployment"), DeploymentId(*stage_->node, 6));
}

TEST_F(Providers, StreamThatFailsBeforeContentFallsBackInvisibly) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
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
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("us-only", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_NE(r->body.find("residency_unavailable"), std::string::npos) << r->body;
  EXPECT_EQ(stage_->fakes.For(Provider::kOpenAi).LastRequestJson().find("us-only"), std::string::npos);
}

// The id of the first tool call in a chat answer, whole or streamed.
std::string FirstToolCallId(const Response& r, bool stream) {
  if (!stream) return JsonString(ParseJson(r.body), "choices.0.message.tool_calls.0.id");
  for (const std::string& data : SseData(r.body)) {
    if (data == "[DONE]") continue;
    std::string id = JsonString(ParseJson(data), "choices.0.delta.tool_calls.0.id");
    if (!id.empty()) return id;
  }
  return "";
}

// The follow-up a client sends after running the tool call `id`.
std::string ToolResultBody(const std::string& model, const std::string& id) {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"Weather?"},)" +
         R"({"role":"assistant","content":null,"tool_calls":[{"id":")" + id +
         R"(","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},)" +
         R"({"role":"tool","tool_call_id":")" + id + R"(","content":"21C"}]})";
}

// Gemini 3 refuses a function-call history without the thoughtSignature it gave the call: the
// signature rides in the tool call id, so a client that sends its ids back just works.
TEST_F(Providers, GeminiThoughtSignaturesComeBackInToolCallIds) {
  for (bool stream : {false, true}) {
    auto first = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                         ChatBody("gemini-signed", stream));
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200) << first->body;
    const std::string id = FirstToolCallId(*first, stream);
    EXPECT_EQ(id, "call_0__thought__CiQB0e2Kb-xT_9aK3Vq8YwQ1Zm9vYmFy----Qgk") << first->body;

    auto next = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                        ToolResultBody("gemini-signed", id));
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200) << next->body;
    rapidjson::Document sent = ParseJson(
        JsonString(ParseJson(stage_->fakes.For(Provider::kGemini).LastRequestJson()), "body"));
    EXPECT_EQ(JsonString(sent, "contents.1.parts.0.thoughtSignature"),
              "CiQB0e2Kb+xT/9aK3Vq8YwQ1Zm9vYmFy++++Qgk=");
  }
  // Without the signature (a client that rewrote the id) Gemini 3 says so, as a 400.
  auto bare = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                      ToolResultBody("gemini-signed", "call_0"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 400) << bare->body;
  EXPECT_NE(bare->body.find("thought_signature"), std::string::npos) << bare->body;
}

TEST_F(Providers, MessagesErrorsUseTheAnthropicShape) {
  auto r = Request(port(), "POST", "/v1/messages", {{"x-api-key", "sk-wrong"}},
                   R"({"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->body.find("\"type\":\"error\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"authentication_error\""), std::string::npos) << r->body;
}

}  // namespace
}  // namespace edge::e2e
