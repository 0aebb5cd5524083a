// The OpenAI Responses API (POST /v1/responses) through a node, with the official `openai`
// SDK: passed through to OpenAI deployments (the alias becomes the deployment's model, the
// usage is the provider's), translated for the others, and `previous_response_id` honoured
// only where it can be: OpenAI keeps the state, the node does not.

#include <gtest/gtest.h>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/fakes.h"
#include "tests/e2e/harness/json.h"
#include "tests/e2e/harness/sdk.h"

namespace edge::e2e {
namespace {

class ResponsesApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stage_ = new FleetStage();
    FakeFleet& fakes = stage_->fakes;
    std::string models;
    for (Provider p : kAllProviders) models += ProviderDeployment(p, ProviderName(p), fakes.For(p));
    FakeProvider& openai = fakes.For(Provider::kOpenAi);
    FakeProvider& anthropic = fakes.For(Provider::kAnthropic);
    models += ProviderDeployment(Provider::kOpenAi, "embed", openai) +
              ProviderDeployment(Provider::kOpenAi, "fallback", openai, "@500", "      order: 1\n") +
              ProviderDeployment(Provider::kAnthropic, "fallback", anthropic, "", "      order: 2\n") +
              ProviderDeployment(Provider::kOpenAi, "openai-break", openai, "@break=2") +
              ProviderDeployment(Provider::kAnthropic, "anthropic-break", anthropic, "@break=2") +
              ProviderDeployment(Provider::kGemini, "gemini-thinking", fakes.For(Provider::kGemini),
                                 "@thoughts=3");
    for (Provider p : kAllProviders) {
      models += ProviderDeployment(p, ProviderName(p) + "-tool", fakes.For(p), "@tool");
    }
    // A group that prefers Anthropic but also has an OpenAI deployment.
    models += ProviderDeployment(Provider::kAnthropic, "mixed", anthropic, "", "      order: 1\n") +
              ProviderDeployment(Provider::kOpenAi, "mixed", openai, "", "      order: 2\n");
    ASSERT_EQ(stage_->Start(models), "");
  }
  static void TearDownTestSuite() { delete stage_; }

  static uint16_t port() { return stage_->node->port(); }
  static FakeProvider& fake(Provider p) { return stage_->fakes.For(p); }
  static SdkResult Sdk(const std::string& kind, Provider p, bool stream,
                       const std::string& extra = "") {
    return RunSdk(stage_->dir, kind, port(), ProviderName(p), stream, extra);
  }
  static SdkResult Responses(Provider p, bool stream, const std::string& extra = "") {
    return Sdk("openai-responses", p, stream, extra);
  }
  // The body of the last request `p`'s fake received, parsed.
  static rapidjson::Document UpstreamBody(Provider p) {
    return ParseJson(JsonString(ParseJson(fake(p).LastRequestJson()), "body"));
  }
  static std::string UpstreamPath(Provider p) {
    return JsonString(ParseJson(fake(p).LastRequestJson()), "path");
  }

  static FleetStage* stage_;
};
FleetStage* ResponsesApi::stage_;

// client.mjs sends instructions "Be brief." and input "Say hello to the edge": 7 words, which
// every fake counts as the input tokens; each answers in 5 pieces, 5 output tokens.
constexpr long kInputTokens = 7, kOutputTokens = 5;

void ExpectStreamWellFormed(const SdkResult& r) {
  EXPECT_EQ(r.String("first_event"), "response.created") << r.json;
  EXPECT_EQ(r.String("last_event"), "response.completed") << r.json;
  EXPECT_NE(r.json.find("\"seq_ok\":true"), std::string::npos) << r.json;
  EXPECT_NE(r.json.find("response.output_text.done"), std::string::npos) << r.json;
  // The text of the deltas and of the completed response agree.
  EXPECT_EQ(r.String("completed_text"), r.String("text")) << r.json;
}

TEST_F(ResponsesApi, PassesThroughToOpenAi) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    SdkResult r = Responses(Provider::kOpenAi, stream);
    ASSERT_TRUE(r.ok) << r.json;
    EXPECT_EQ(r.String("text"), FakeText("gpt-4o-mini")) << r.json;
    EXPECT_EQ(r.String("status"), "completed") << r.json;
    // The fake's own response: its id, its numbers, untouched.
    EXPECT_EQ(r.String("id").rfind("resp_fake", 0), 0u) << r.json;
    EXPECT_EQ(r.Number("input_tokens"), kInputTokens) << r.json;
    EXPECT_EQ(r.Number("output_tokens"), kOutputTokens) << r.json;
    EXPECT_EQ(r.Number("total_tokens"), kInputTokens + kOutputTokens) << r.json;
    EXPECT_EQ(r.Number("cached_tokens"), 0) << r.json;
    EXPECT_EQ(r.Number("reasoning_tokens"), 0) << r.json;
    if (stream) ExpectStreamWellFormed(r);

    EXPECT_EQ(UpstreamPath(Provider::kOpenAi), "/v1/responses");
    rapidjson::Document sent = UpstreamBody(Provider::kOpenAi);
    ASSERT_FALSE(sent.HasParseError());
    EXPECT_EQ(JsonString(sent, "model"), "gpt-4o-mini");  // the alias, rewritten
    EXPECT_EQ(JsonString(sent, "instructions"), "Be brief.");
    EXPECT_EQ(JsonString(sent, "input"), "Say hello to the edge");
    EXPECT_EQ(JsonInt(sent, "max_output_tokens"), 200);
  }
}

TEST_F(ResponsesApi, TranslatedForOtherProviders) {
  for (Provider p : {Provider::kAnthropic, Provider::kGemini, Provider::kBedrock}) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(ProviderName(p) + (stream ? " stream" : " whole"));
      SdkResult r = Responses(p, stream);
      ASSERT_TRUE(r.ok) << r.json;
      EXPECT_EQ(r.String("text"), FakeText(UpstreamModel(p))) << r.json;
      EXPECT_EQ(r.String("status"), "completed") << r.json;
      EXPECT_EQ(r.String("id").rfind("resp_", 0), 0u) << r.json;
      EXPECT_EQ(r.Number("input_tokens"), kInputTokens) << r.json;
      EXPECT_EQ(r.Number("output_tokens"), kOutputTokens) << r.json;
      EXPECT_EQ(r.Number("total_tokens"), kInputTokens + kOutputTokens) << r.json;
      if (stream) ExpectStreamWellFormed(r);
    }
  }
  // instructions -> the provider's system prompt, max_output_tokens -> its limit.
  rapidjson::Document anthropic = UpstreamBody(Provider::kAnthropic);
  EXPECT_EQ(UpstreamPath(Provider::kAnthropic), "/v1/messages");
  EXPECT_NE(JsonString(anthropic, "system") + JsonString(anthropic, "system.0.text"), "");
  EXPECT_EQ(JsonInt(anthropic, "max_tokens"), 200);
  rapidjson::Document gemini = UpstreamBody(Provider::kGemini);
  EXPECT_EQ(JsonString(gemini, "systemInstruction.parts.0.text"), "Be brief.");
  EXPECT_EQ(JsonInt(gemini, "generationConfig.maxOutputTokens"), 200);
}

TEST_F(ResponsesApi, PreviousResponseIdReachesOpenAi) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    SdkResult r = Sdk("openai-responses-chain", Provider::kOpenAi, stream);
    ASSERT_TRUE(r.ok) << r.json;
    std::string first = r.String("first_id");
    ASSERT_EQ(first.rfind("resp_fake", 0), 0u) << r.json;
    // The fake knows the id it gave out (it answers 400 to an unknown one) and echoes it.
    EXPECT_EQ(r.String("previous_response_id"), first) << r.json;
    EXPECT_EQ(r.String("text"), FakeText("gpt-4o-mini")) << r.json;
    EXPECT_EQ(r.Number("input_tokens"), 2) << r.json;  // "And goodbye"
    rapidjson::Document sent = UpstreamBody(Provider::kOpenAi);
    EXPECT_EQ(JsonString(sent, "previous_response_id"), first);
    EXPECT_EQ(JsonString(sent, "model"), "gpt-4o-mini");
  }
}

// A stateful request to a group goes to the group's OpenAI deployment, whatever the order.
TEST_F(ResponsesApi, PreviousResponseIdPicksTheGroupsOpenAiDeployment) {
  auto first = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                       R"({"model":"openai","input":"Say hello to the edge"})");
  ASSERT_TRUE(first);
  std::string id = JsonString(ParseJson(first->body), "id");
  ASSERT_NE(id, "") << first->body;
  long anthropic_before = fake(Provider::kAnthropic).Stat("requests");
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    auto r = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                     R"({"model":"mixed","input":"And goodbye","previous_response_id":")" + id +
                         (stream ? R"(","stream":true})" : R"("})"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->Header("x-edge-attempts"), "1");
    EXPECT_EQ(JsonString(UpstreamBody(Provider::kOpenAi), "previous_response_id"), id);
  }
  EXPECT_EQ(fake(Provider::kAnthropic).Stat("requests"), anthropic_before);
}

TEST_F(ResponsesApi, PreviousResponseIdElsewhereIsRefusedNamingTheFeature) {
  for (Provider p : {Provider::kAnthropic, Provider::kGemini}) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(ProviderName(p) + (stream ? " stream" : " whole"));
      long before = fake(p).Stat("requests");
      SdkResult r = Responses(p, stream, R"({"previous_response_id":"resp_elsewhere"})");
      EXPECT_FALSE(r.ok) << r.json;
      EXPECT_EQ(r.Number("status"), 400) << r.json;
      EXPECT_NE(r.String("error").find("previous_response_id"), std::string::npos) << r.json;
      EXPECT_EQ(fake(p).Stat("requests"), before) << "the provider was called";
    }
  }
}

TEST_F(ResponsesApi, RetryableFailureOfOpenAiFallsBackToATranslatedProvider) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    auto r = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                     std::string(R"({"model":"fallback","input":"Say hello to the edge")") +
                         (stream ? R"(,"stream":true})" : "}"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->Header("x-edge-attempts"), "2");
    EXPECT_EQ(r->Header("x-edge-deployment"), DeploymentId(*stage_->node, 7));
    // Nothing of the OpenAI attempt leaks; the answer is Anthropic's, in the Responses shape.
    EXPECT_EQ(r->body.find("server had an error"), std::string::npos) << r->body;
    EXPECT_NE(r->body.find(FakeText(UpstreamModel(Provider::kAnthropic))), std::string::npos)
        << r->body;
    EXPECT_NE(r->body.find(stream ? "response.completed" : "\"object\":\"response\""),
              std::string::npos)
        << r->body;
  }
}

// A provider that breaks the stream after two deltas: the client sees those two, then an
// `error` event (translated streams follow it with `response.failed`), never a
// `response.completed` that would pass for a whole answer.
TEST_F(ResponsesApi, BrokenStreamEndsWithAnErrorEvent) {
  for (const char* model : {"openai-break", "anthropic-break"}) {
    SCOPED_TRACE(model);
    auto r = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                     std::string(R"({"model":")") + model +
                         R"(","input":"Say hello to the edge","stream":true})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    std::vector<SseEvent> events = SseEvents(r->body);
    ASSERT_FALSE(events.empty()) << r->body;
    int deltas = 0, errors = 0;
    for (const SseEvent& e : events) {
      deltas += e.event == "response.output_text.delta";
      errors += e.event == "error";
      EXPECT_NE(e.event, "response.completed") << r->body;
    }
    EXPECT_EQ(deltas, 2) << r->body;
    EXPECT_EQ(errors, 1) << r->body;
    EXPECT_TRUE(events.back().event == "error" || events.back().event == "response.failed")
        << r->body;
  }
}

// A function call from any provider comes back as a function_call item whose call_id the
// next request can answer with function_call_output; the provider gets the call and its
// result paired the way it checks (Anthropic tool_use/tool_result ids, Bedrock toolUseId,
// Gemini one functionResponse per functionCall).
TEST_F(ResponsesApi, FunctionCallsRoundTrip) {
  const std::string tools =
      R"("tools":[{"type":"function","name":"get_weather","parameters":{"type":"object",)"
      R"("properties":{"location":{"type":"string"}}}}])";
  for (Provider p : kAllProviders) {
    SCOPED_TRACE(ProviderName(p));
    auto first = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                         R"({"model":")" + ProviderName(p) +
                             R"(-tool","input":"Weather in Paris?",)" + tools + "}");
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200) << first->body;
    rapidjson::Document d = ParseJson(first->body);
    EXPECT_EQ(JsonString(d, "output.0.type"), "function_call") << first->body;
    EXPECT_EQ(JsonString(d, "output.0.name"), "get_weather") << first->body;
    EXPECT_EQ(JsonString(d, "output.0.arguments"), R"({"location":"Paris"})") << first->body;
    std::string call_id = JsonString(d, "output.0.call_id");
    ASSERT_NE(call_id, "") << first->body;

    auto second = Request(
        port(), "POST", "/v1/responses", AuthHeaders(),
        R"({"model":")" + ProviderName(p) + R"(",)" + tools +
            R"(,"input":[{"role":"user","content":"Weather in Paris?"},)"
            R"({"type":"function_call","call_id":")" + call_id +
            R"(","name":"get_weather","arguments":"{\"location\":\"Paris\"}"},)"
            R"({"type":"function_call_output","call_id":")" + call_id +
            R"(","output":"sunny and warm"}]})");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200) << second->body;
    rapidjson::Document answer = ParseJson(second->body);
    EXPECT_EQ(JsonString(answer, "output.0.content.0.text"), FakeText(UpstreamModel(p)))
        << second->body;
    // "Weather in Paris?" and "sunny and warm": every fake counts the tool result's words.
    EXPECT_EQ(JsonInt(answer, "usage.input_tokens"), 6) << second->body;
  }
  // The provider's own tool id is the call_id, both ways.
  rapidjson::Document anthropic = UpstreamBody(Provider::kAnthropic);
  EXPECT_EQ(JsonString(anthropic, "messages.1.content.0.id"), "toolu_fake1");
  EXPECT_EQ(JsonString(anthropic, "messages.2.content.0.tool_use_id"), "toolu_fake1");
  rapidjson::Document bedrock = UpstreamBody(Provider::kBedrock);
  EXPECT_EQ(JsonString(bedrock, "messages.1.content.0.toolUse.toolUseId"), "tooluse_fake1");
}

// Gemini reports 3 thinking tokens (billed as output) besides the 5 of the answer.
TEST_F(ResponsesApi, ReasoningTokensAreOutputTokensAndSaidSo) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    auto r = Request(port(), "POST", "/v1/responses", AuthHeaders(),
                     std::string(R"({"model":"gemini-thinking","input":"Say hello to the edge")") +
                         (stream ? R"(,"stream":true})" : "}"));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    rapidjson::Document d =
        ParseJson(stream ? SseEvents(r->body).back().data : r->body);
    std::string at = stream ? "response.usage." : "usage.";
    EXPECT_EQ(JsonInt(d, at + "output_tokens"), kOutputTokens + 3) << r->body;
    EXPECT_EQ(JsonInt(d, at + "output_tokens_details.reasoning_tokens"), 3) << r->body;
  }
}

}  // namespace
}  // namespace edge::e2e
