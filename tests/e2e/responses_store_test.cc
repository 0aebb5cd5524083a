// responses.store: true through a real node and the fake Anthropic (and OpenAI) providers:
// a translated /v1/responses answer is kept in the node's RocksDB store, so a later request
// naming it in previous_response_id (or one of its items in item_reference) reaches the
// provider as the whole conversation, in order; the stored responses outlive a restart of
// the node and expire after responses.ttl_s. To OpenAI everything still passes through. The
// store-off refusal is responses_test.cc's PreviousResponseIdElsewhereIsRefusedNamingTheFeature.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/fakes.h"
#include "tests/e2e/harness/http_client.h"
#include "tests/e2e/harness/json.h"
#include "tests/e2e/harness/sdk.h"

namespace edge::e2e {
namespace {

std::string Models(FakeFleet& fakes) {
  return ProviderDeployment(Provider::kAnthropic, "anthropic", fakes.For(Provider::kAnthropic)) +
         ProviderDeployment(Provider::kOpenAi, "openai", fakes.For(Provider::kOpenAi)) +
         ProviderDeployment(Provider::kOpenAi, "embed", fakes.For(Provider::kOpenAi));  // a key's
}

struct Turn {
  int status = 0;
  std::string id;    // the response's id ("" when refused)
  std::string body;  // the answer as the client got it
};

// One /v1/responses call; a stream's id is its response.completed event's.
Turn Call(uint16_t port, const std::string& body_json, bool stream) {
  std::string body = body_json;
  if (stream) body.insert(body.size() - 1, R"(,"stream":true)");
  auto r = Request(port, "POST", "/v1/responses", AuthHeaders(), body);
  Turn t;
  if (!r) return t;
  t.status = r->status;
  t.body = r->body;
  if (r->status != 200) return t;
  if (!stream) {
    t.id = JsonString(ParseJson(r->body), "id");
    return t;
  }
  for (const SseEvent& e : SseEvents(r->body)) {
    if (e.event == "response.completed") t.id = JsonString(ParseJson(e.data), "response.id");
  }
  return t;
}

// The messages the fake Anthropic got last, as the text of its request body.
std::string AnthropicBody(FakeFleet& fakes) {
  return JsonString(ParseJson(fakes.For(Provider::kAnthropic).LastRequestJson()), "body");
}

// `parts` occur in `text` in this order.
::testing::AssertionResult InOrder(const std::string& text, const std::vector<std::string>& parts) {
  size_t at = 0;
  for (const std::string& p : parts) {
    size_t found = text.find(p, at);
    if (found == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << p << "' not found in order in " << text;
    }
    at = found + p.size();
  }
  return ::testing::AssertionSuccess();
}

class ResponsesStore : public ::testing::Test {
 protected:
  static constexpr const char* kStoreConfig = "responses: {store: true, ttl_s: 3600}\n";
  void SetUp() override { ASSERT_EQ(stage_.Start(Models(stage_.fakes), kStoreConfig), ""); }
  uint16_t port() const { return stage_.node->port(); }

  FleetStage stage_;
};

TEST_F(ResponsesStore, PreviousResponseIdGivesTheProviderTheWholeConversation) {
  const std::string answer = FakeText(UpstreamModel(Provider::kAnthropic));
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    Turn one = Call(port(), R"({"model":"anthropic","input":"Turn one words"})", stream);
    ASSERT_EQ(one.status, 200) << one.body;
    ASSERT_EQ(one.id.rfind("resp_", 0), 0u) << one.body;
    Turn two = Call(port(),
                    R"({"model":"anthropic","input":"Turn two words","previous_response_id":")" +
                        one.id + R"("})",
                    stream);
    ASSERT_EQ(two.status, 200) << two.body;
    const std::string sent = AnthropicBody(stage_.fakes);
    EXPECT_TRUE(InOrder(sent, {"Turn one words", answer, "Turn two words"}));
    EXPECT_EQ(JsonString(ParseJson(sent), "messages.1.role"), "assistant") << sent;
    EXPECT_EQ(sent.find("previous_response_id"), std::string::npos) << sent;

    // A third turn chains through the second: all three user turns, in order.
    Turn three = Call(port(),
                      R"({"model":"anthropic","input":"Turn three words","previous_response_id":")" +
                          two.id + R"("})",
                      stream);
    ASSERT_EQ(three.status, 200) << three.body;
    EXPECT_TRUE(InOrder(AnthropicBody(stage_.fakes),
                        {"Turn one words", answer, "Turn two words", answer, "Turn three words"}));
  }
}

TEST_F(ResponsesStore, ItemReferenceResolvesAStoredItem) {
  Turn one = Call(port(), R"({"model":"anthropic","input":"Remember this"})", false);
  ASSERT_EQ(one.status, 200) << one.body;
  const std::string item = JsonString(ParseJson(one.body), "output.0.id");
  ASSERT_NE(item, "") << one.body;
  Turn two = Call(port(),
                  R"({"model":"anthropic","input":[{"role":"user","content":"Earlier you said"},)"
                  R"({"type":"item_reference","id":")" + item +
                      R"("},{"role":"user","content":"Go on"}]})",
                  false);
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_TRUE(InOrder(AnthropicBody(stage_.fakes),
                      {"Earlier you said", FakeText(UpstreamModel(Provider::kAnthropic)), "Go on"}));
}

TEST_F(ResponsesStore, AnUnknownIdIsRefusedNamingIt) {
  long before = stage_.fakes.For(Provider::kAnthropic).Stat("requests");
  for (bool stream : {false, true}) {
    Turn t = Call(port(),
                  R"({"model":"anthropic","input":"x","previous_response_id":"resp_never"})", stream);
    EXPECT_EQ(t.status, 400) << t.body;
    rapidjson::Document d = ParseJson(t.body);
    EXPECT_EQ(JsonString(d, "error.code"), "previous_response_not_found") << t.body;
    EXPECT_EQ(JsonString(d, "error.type"), "invalid_request_error") << t.body;
    EXPECT_NE(JsonString(d, "error.message").find("resp_never"), std::string::npos) << t.body;
    t = Call(port(),
             R"({"model":"anthropic","input":[{"type":"item_reference","id":"msg_never"}]})", stream);
    EXPECT_EQ(t.status, 400) << t.body;
    EXPECT_NE(t.body.find("msg_never"), std::string::npos) << t.body;
  }
  EXPECT_EQ(stage_.fakes.For(Provider::kAnthropic).Stat("requests"), before);
}

// OpenAI keeps its own state: its answers are not stored, its ids pass through untouched.
TEST_F(ResponsesStore, OpenAiStillPassesThrough) {
  Turn one = Call(port(), R"({"model":"openai","input":"Say hello to the edge"})", false);
  ASSERT_EQ(one.status, 200) << one.body;
  Turn two = Call(port(),
                  R"({"model":"openai","input":"And goodbye","previous_response_id":")" + one.id +
                      R"("})",
                  false);
  ASSERT_EQ(two.status, 200) << two.body;
  rapidjson::Document sent = ParseJson(
      JsonString(ParseJson(stage_.fakes.For(Provider::kOpenAi).LastRequestJson()), "body"));
  EXPECT_EQ(JsonString(sent, "previous_response_id"), one.id);
  EXPECT_EQ(JsonString(sent, "input"), "And goodbye");
  // An OpenAI response id is not in this node's store: to Anthropic it is unknown.
  Turn elsewhere = Call(port(),
                        R"({"model":"anthropic","input":"x","previous_response_id":")" + one.id +
                            R"("})",
                        false);
  EXPECT_EQ(elsewhere.status, 400) << elsewhere.body;
  EXPECT_NE(elsewhere.body.find(one.id), std::string::npos) << elsewhere.body;
}

TEST_F(ResponsesStore, StoredResponsesOutliveARestart) {
  Turn one = Call(port(), R"({"model":"anthropic","input":"Before the restart"})", false);
  ASSERT_EQ(one.status, 200) << one.body;
  stage_.node.reset();  // stops the node; its store stays in its data dir
  stage_.node = std::make_unique<Node>(stage_.dir, TestConfig(Models(stage_.fakes)) + kStoreConfig);
  ASSERT_TRUE(stage_.node->ok()) << stage_.node->process().Stderr();
  Turn two = Call(port(),
                  R"({"model":"anthropic","input":"After it","previous_response_id":")" + one.id +
                      R"("})",
                  true);
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_TRUE(InOrder(AnthropicBody(stage_.fakes),
                      {"Before the restart", FakeText(UpstreamModel(Provider::kAnthropic)), "After it"}));
}

// The official SDK's two turns (openai-node, as tests/e2e/sdk/client.mjs drives it).
TEST_F(ResponsesStore, SdkChainToAnthropic) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    SdkResult r = RunSdk(stage_.dir, "openai-responses-chain", port(), "anthropic", stream);
    ASSERT_TRUE(r.ok) << r.json;
    EXPECT_EQ(r.String("first_id").rfind("resp_", 0), 0u) << r.json;
    EXPECT_EQ(r.String("text"), FakeText(UpstreamModel(Provider::kAnthropic))) << r.json;
    EXPECT_TRUE(InOrder(AnthropicBody(stage_.fakes),
                        {"Say hello to the edge", FakeText(UpstreamModel(Provider::kAnthropic)),
                         "And goodbye"}));
  }
}

TEST(ResponsesStoreExpiry, AnExpiredResponseIsRefused) {
  FleetStage stage;
  ASSERT_EQ(stage.Start(Models(stage.fakes), "responses: {store: true, ttl_s: 1}\n"), "");
  Turn one = Call(stage.node->port(), R"({"model":"anthropic","input":"Soon gone"})", false);
  ASSERT_EQ(one.status, 200) << one.body;
  // The stored response expires one second after it was written: wait for the clock, not
  // for the node (nothing to synchronise with; the expiry is checked on every read).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  long before = stage.fakes.For(Provider::kAnthropic).Stat("requests");
  Turn two = Call(stage.node->port(),
                  R"({"model":"anthropic","input":"x","previous_response_id":")" + one.id + R"("})",
                  false);
  EXPECT_EQ(two.status, 400) << two.body;
  EXPECT_EQ(JsonString(ParseJson(two.body), "error.code"), "previous_response_not_found")
      << two.body;
  EXPECT_NE(two.body.find(one.id), std::string::npos) << two.body;
  EXPECT_EQ(stage.fakes.For(Provider::kAnthropic).Stat("requests"), before);
}

}  // namespace
}  // namespace edge::e2e
