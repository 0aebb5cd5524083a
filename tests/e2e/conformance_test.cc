// Cross-provider conformance: every provider (openai, azure, anthropic, bedrock, gemini) x
// every client API (/v1/chat/completions, /v1/messages, /v1/responses) x (stream, whole).
// Whoever answers, the client gets an answer well-formed for the API it called, with the
// text the provider's fake produced and the usage it reported; a retryable failure of the
// first deployment falls back to the next, a non-retryable one does not.
//
// One fake and one node per provider, started when a test first needs them and shared by
// the rest of the process (ctest runs each test alone, so each starts just one of each).

#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <memory>
#include <tuple>
#include <variant>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/fakes.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

enum class ClientApi { kChat, kMessages, kResponses };  // (Facts() below, in this order)

// The same question in each API: "Be brief." as the system part and "Say hello to the edge"
// from the user: 7 words, which every fake counts as input tokens. Each fake answers in 5
// pieces, 5 output tokens.
constexpr int64_t kInputTokens = 7, kOutputTokens = 5;

struct ApiFacts {
  const char* name;  // in test names
  const char* path;
};

const ApiFacts& Facts(ClientApi api) {
  static constexpr ApiFacts kFacts[] = {{"Chat", "/v1/chat/completions"},
                                        {"Messages", "/v1/messages"},
                                        {"Responses", "/v1/responses"}};
  return kFacts[static_cast<int>(api)];
}

std::string ApiName(ClientApi api) { return Facts(api).name; }
std::string Path(ClientApi api) { return Facts(api).path; }

std::string Body(ClientApi api, const std::string& model, bool stream) {
  std::string m = R"({"model":")" + model + R"(",)";
  std::string s = stream ? R"(,"stream":true)" : "";
  switch (api) {
    case ClientApi::kChat:
      return m + R"("messages":[{"role":"system","content":"Be brief."},)"
                 R"({"role":"user","content":"Say hello to the edge"}])" + s +
             (stream ? R"(,"stream_options":{"include_usage":true}})" : "}");
    case ClientApi::kMessages:
      return m + R"("max_tokens":100,"system":"Be brief.",)"
                 R"("messages":[{"role":"user","content":"Say hello to the edge"}])" + s + "}";
    case ClientApi::kResponses:
      return m + R"("instructions":"Be brief.","input":"Say hello to the edge",)"
                 R"("max_output_tokens":100)" + s + "}";
  }
  return "";
}

std::map<std::string, std::string> Headers(ClientApi api) {
  auto h = AuthHeaders();
  if (api == ClientApi::kMessages) h["anthropic-version"] = "2023-06-01";
  return h;
}

// A provider's failure that the node should retry elsewhere: 429, or Anthropic's 529.
// Not a 429: its Retry-After would cool the deployment down, and the next call would skip it.
std::string RetryableFault(Provider p) { return p == Provider::kAnthropic ? "@529" : "@500"; }

// One provider's fake and a node in front of it with three aliases: `main`; `fallback`, whose
// first deployment (#1) fails retryably and second (#2) answers; `no-fallback`, whose first
// (#3) answers 400 and second (#4) would answer.
struct Stage {
  TempDir dir;
  std::unique_ptr<FakeProvider> fake;
  std::unique_ptr<Node> node;
  std::string error;

  explicit Stage(Provider p) {
    fake = std::make_unique<FakeProvider>(dir, FakeScript(p));
    if (!fake->ok()) {
      error = FakeScript(p) + " did not start: " + fake->process().Stderr();
      return;
    }
    std::string first = "      order: 1\n", second = "      order: 2\n";
    std::string models = ProviderDeployment(p, "main", *fake) +
                         ProviderDeployment(p, "fallback", *fake, RetryableFault(p), first) +
                         ProviderDeployment(p, "fallback", *fake, "", second) +
                         ProviderDeployment(p, "no-fallback", *fake, "@400", first) +
                         ProviderDeployment(p, "no-fallback", *fake, "", second) +
                         // TestConfig's second key may use `embed` only.
                         ProviderDeployment(p, "embed", *fake);
    // Failing deployments stay in rotation however often a test makes them fail.
    node = std::make_unique<Node>(dir, TestConfig(models, "", 1) +
                                           "router_settings:\n  num_retries: 2\n"
                                           "  allowed_fails: 1000\n");
    if (!node->ok()) error = "the node did not start: " + node->process().Stderr();
  }
};

class ConformanceBase {
 protected:
  // The stage for `p`, started on first use.
  static Stage& StageFor(Provider p) {
    std::unique_ptr<Stage>& s = stages_[p];
    if (!s) s = std::make_unique<Stage>(p);
    return *s;
  }
  static void StopStages() { stages_.clear(); }

  // Calls `model` through `api` on p's node into *out; *upstream_calls (when given) is how
  // many requests p's fake got meanwhile. Fails the test when there is no answer.
  static void Call(Provider p, ClientApi api, const std::string& model, bool stream,
                   Response* out, long* upstream_calls = nullptr) {
    Stage& stage = StageFor(p);
    ASSERT_EQ(stage.error, "");
    long before = stage.fake->Stat("requests");
    auto r = Request(stage.node->port(), "POST", Path(api), Headers(api),
                     Body(api, model, stream));
    ASSERT_TRUE(r) << "no answer from the node";
    *out = std::move(*r);
    if (upstream_calls != nullptr) *upstream_calls = stage.fake->Stat("requests") - before;
  }

 private:
  static std::map<Provider, std::unique_ptr<Stage>> stages_;
};
std::map<Provider, std::unique_ptr<Stage>> ConformanceBase::stages_;

// ---- what a well-formed answer is, per client API ----

// A member the answer must have: its path (as JsonAt's) and value; kAny is any non-empty
// string.
struct Member {
  std::string path;
  std::variant<std::string, int64_t> value;
};
constexpr char kAny[] = "\x01any";

void ExpectMembers(const rapidjson::Value& d, const std::vector<Member>& members,
                   const std::string& where) {
  for (const Member& m : members) {
    if (const int64_t* n = std::get_if<int64_t>(&m.value)) {
      EXPECT_EQ(JsonInt(d, m.path), *n) << m.path << " in " << where;
    } else if (std::get<std::string>(m.value) == kAny) {
      EXPECT_NE(JsonString(d, m.path), "") << m.path << " in " << where;
    } else {
      EXPECT_EQ(JsonString(d, m.path), std::get<std::string>(m.value)) << m.path << " in " << where;
    }
  }
}

// The body of a whole answer, parsed, with the members it must have.
void ExpectWhole(const Response& r, const std::vector<Member>& members) {
  rapidjson::Document d = ParseJson(r.body);
  ASSERT_FALSE(d.HasParseError()) << r.body;
  ExpectMembers(d, members, r.body);
}

void ExpectChat(const Response& r, bool stream, const std::string& text) {
  if (!stream) {
    return ExpectWhole(r, {{"object", "chat.completion"}, {"id", kAny}, {"model", kAny},
                           {"choices.0.message.role", "assistant"},
                           {"choices.0.message.content", text},
                           {"choices.0.finish_reason", "stop"},
                           {"usage.prompt_tokens", kInputTokens},
                           {"usage.completion_tokens", kOutputTokens},
                           {"usage.total_tokens", kInputTokens + kOutputTokens}});
  }
  std::vector<std::string> data = SseData(r.body);
  ASSERT_GE(data.size(), 3u) << r.body;
  EXPECT_EQ(data.back(), "[DONE]") << r.body;
  std::string id, streamed;
  int finishes = 0, usages = 0;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    rapidjson::Document c = ParseJson(data[i]);
    ASSERT_FALSE(c.HasParseError()) << data[i];
    EXPECT_EQ(JsonString(c, "object"), "chat.completion.chunk") << data[i];
    if (i == 0) id = JsonString(c, "id");
    EXPECT_EQ(JsonString(c, "id"), id) << "one id for all chunks: " << data[i];
    streamed += JsonString(c, "choices.0.delta.content");
    if (!JsonString(c, "choices.0.finish_reason").empty()) {
      ++finishes;
      EXPECT_EQ(JsonString(c, "choices.0.finish_reason"), "stop") << data[i];
    }
    const rapidjson::Value* usage = JsonAt(c, "usage");
    if (usage != nullptr && usage->IsObject()) {
      ++usages;
      EXPECT_EQ(i + 2, data.size()) << "the usage chunk comes last: " << data[i];
      EXPECT_EQ(JsonAt(c, "choices")->Size(), 0u) << data[i];
      EXPECT_EQ(JsonInt(c, "usage.prompt_tokens"), kInputTokens) << data[i];
      EXPECT_EQ(JsonInt(c, "usage.completion_tokens"), kOutputTokens) << data[i];
    }
  }
  EXPECT_NE(id, "");
  EXPECT_EQ(streamed, text) << r.body;
  EXPECT_EQ(finishes, 1) << r.body;
  EXPECT_EQ(usages, 1) << r.body;
}

void ExpectMessages(const Response& r, bool stream, const std::string& text) {
  if (!stream) {
    return ExpectWhole(r, {{"type", "message"}, {"id", kAny}, {"role", "assistant"},
                           {"content.0.type", "text"}, {"content.0.text", text},
                           {"stop_reason", "end_turn"}, {"usage.input_tokens", kInputTokens},
                           {"usage.output_tokens", kOutputTokens}});
  }
  std::vector<SseEvent> events = SseEvents(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  EXPECT_EQ(events.front().event, "message_start") << r.body;
  EXPECT_EQ(events.back().event, "message_stop") << r.body;
  std::string streamed, stop_reason;
  int64_t input = -1, output = -1;
  bool block_open = false;
  for (const SseEvent& e : events) {
    rapidjson::Document d = ParseJson(e.data);
    ASSERT_FALSE(d.HasParseError()) << e.data;
    EXPECT_EQ(JsonString(d, "type"), e.event) << "the event names its data's type";
    if (e.event == "message_start") input = JsonInt(d, "message.usage.input_tokens");
    if (e.event == "content_block_start") block_open = true;
    if (e.event == "content_block_delta") {
      EXPECT_TRUE(block_open) << "a delta outside a content block: " << r.body;
      EXPECT_EQ(JsonString(d, "delta.type"), "text_delta") << e.data;
      streamed += JsonString(d, "delta.text");
    }
    if (e.event == "content_block_stop") block_open = false;
    if (e.event == "message_delta") {
      stop_reason = JsonString(d, "delta.stop_reason");
      output = JsonInt(d, "usage.output_tokens");
      // Cumulative usage here wins over message_start's, as the SDKs read it: a translated
      // stream learns the input count only at the end.
      if (JsonInt(d, "usage.input_tokens") >= 0) input = JsonInt(d, "usage.input_tokens");
    }
  }
  EXPECT_FALSE(block_open) << r.body;
  EXPECT_EQ(streamed, text) << r.body;
  EXPECT_EQ(stop_reason, "end_turn") << r.body;
  EXPECT_EQ(input, kInputTokens) << r.body;
  EXPECT_EQ(output, kOutputTokens) << r.body;
}

// A response object: completed, one assistant message with the text, the usage.
void ExpectResponseObject(const rapidjson::Value& d, const std::string& text,
                          const std::string& where) {
  ExpectMembers(d, {{"object", "response"}, {"status", "completed"},
                    {"usage.input_tokens", kInputTokens}, {"usage.output_tokens", kOutputTokens},
                    {"usage.total_tokens", kInputTokens + kOutputTokens}}, where);
  EXPECT_EQ(JsonString(d, "id").rfind("resp_", 0), 0u) << where;
  std::string answered;
  const rapidjson::Value* output = JsonAt(d, "output");
  ASSERT_TRUE(output != nullptr && output->IsArray()) << where;
  for (const rapidjson::Value& item : output->GetArray()) {
    if (JsonString(item, "type") != "message") continue;
    EXPECT_EQ(JsonString(item, "role"), "assistant") << where;
    EXPECT_EQ(JsonString(item, "content.0.type"), "output_text") << where;
    answered += JsonString(item, "content.0.text");
  }
  EXPECT_EQ(answered, text) << where;
}

void ExpectResponses(const Response& r, bool stream, const std::string& text) {
  if (!stream) {
    rapidjson::Document d = ParseJson(r.body);
    ASSERT_FALSE(d.HasParseError()) << r.body;
    ExpectResponseObject(d, text, r.body);
    return;
  }
  std::vector<SseEvent> events = SseEvents(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  EXPECT_EQ(events.front().event, "response.created") << r.body;
  EXPECT_EQ(events.back().event, "response.completed") << r.body;
  std::string streamed, done_text;
  for (size_t i = 0; i < events.size(); ++i) {
    rapidjson::Document d = ParseJson(events[i].data);
    ASSERT_FALSE(d.HasParseError()) << events[i].data;
    EXPECT_EQ(JsonString(d, "type"), events[i].event) << "the event names its data's type";
    EXPECT_EQ(JsonInt(d, "sequence_number"), static_cast<int64_t>(i)) << events[i].data;
    if (events[i].event == "response.output_text.delta") streamed += JsonString(d, "delta");
    if (events[i].event == "response.output_text.done") done_text = JsonString(d, "text");
    if (events[i].event == "response.completed") {
      ExpectResponseObject(*JsonAt(d, "response"), text, events[i].data);
    }
  }
  EXPECT_EQ(streamed, text) << r.body;
  EXPECT_EQ(done_text, text) << r.body;
}

void ExpectAnswer(ClientApi api, const Response& r, bool stream, const std::string& text) {
  switch (api) {
    case ClientApi::kChat: return ExpectChat(r, stream, text);
    case ClientApi::kMessages: return ExpectMessages(r, stream, text);
    case ClientApi::kResponses: return ExpectResponses(r, stream, text);
  }
}

// ---- every provider x every client API x stream or not ----

struct Case {
  Provider provider;
  ClientApi api;
  bool stream;
};

class Conformance : public ConformanceBase, public ::testing::TestWithParam<Case> {
 protected:
  static void TearDownTestSuite() { StopStages(); }
};

TEST_P(Conformance, AnswerIsWellFormedWithTheProvidersTextAndUsage) {
  const Case& c = GetParam();
  Response r;
  ASSERT_NO_FATAL_FAILURE(Call(c.provider, c.api, "main", c.stream, &r));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("x-edge-deployment"), DeploymentId(*StageFor(c.provider).node, 0));
  EXPECT_EQ(r.Header("x-edge-attempts"), "1");
  for (const char* h : {"x-edge-request-id", "x-edge-node", "x-edge-region",
                        "x-edge-jurisdiction", "x-edge-endpoint-region"}) {
    EXPECT_NE(r.Header(h), "") << h << " is missing";
  }
  EXPECT_NE(r.Header("content-type").find(c.stream ? "text/event-stream" : "application/json"),
            std::string::npos)
      << r.Header("content-type");
  ExpectAnswer(c.api, r, c.stream, FakeText(UpstreamModel(c.provider)));
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (Provider p : kAllProviders) {
    for (ClientApi api : {ClientApi::kChat, ClientApi::kMessages, ClientApi::kResponses}) {
      for (bool stream : {false, true}) cases.push_back({p, api, stream});
    }
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return ProviderName(info.param.provider) + "_" + ApiName(info.param.api) +
         (info.param.stream ? "_Stream" : "_Whole");
}

INSTANTIATE_TEST_SUITE_P(AllProvidersAllApis, Conformance, ::testing::ValuesIn(AllCases()),
                         CaseName);

// ---- fallback, per provider and client API ----

// The error shape of the client API: Anthropic's for /v1/messages, else OpenAI's.
void ExpectErrorShape(const Response& r, ClientApi api) {
  rapidjson::Document d = ParseJson(r.body);
  ASSERT_FALSE(d.HasParseError()) << r.body;
  if (api == ClientApi::kMessages) {
    ExpectMembers(d, {{"type", "error"}, {"error.type", kAny}, {"error.message", kAny}}, r.body);
  } else {
    ExpectMembers(d, {{"error.type", kAny}, {"error.message", kAny}}, r.body);
  }
}

using ProviderApi = std::tuple<Provider, ClientApi>;

class ConformanceFallback : public ConformanceBase, public ::testing::TestWithParam<ProviderApi> {
 protected:
  static void TearDownTestSuite() { StopStages(); }
  Provider provider() const { return std::get<0>(GetParam()); }
  ClientApi api() const { return std::get<1>(GetParam()); }
};

TEST_P(ConformanceFallback, RetryableFailureFallsBackToTheSecondDeployment) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    Response r;
    long calls = 0;
    ASSERT_NO_FATAL_FAILURE(Call(provider(), api(), "fallback", stream, &r, &calls));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("x-edge-attempts"), "2");
    EXPECT_EQ(r.Header("x-edge-deployment"), DeploymentId(*StageFor(provider()).node, 2));
    EXPECT_EQ(calls, 2) << "both deployments are called";
    // Nothing of the failed attempt shows: the answer is the second deployment's, whole.
    ExpectAnswer(api(), r, stream, FakeText(UpstreamModel(provider())));
  }
}

TEST_P(ConformanceFallback, NonRetryableFailureDoesNotFallBack) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "whole");
    Response r;
    long calls = 0;
    ASSERT_NO_FATAL_FAILURE(Call(provider(), api(), "no-fallback", stream, &r, &calls));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(calls, 1) << "only the first deployment is called";
    ExpectErrorShape(r, api());
    EXPECT_NE(r.Header("x-edge-request-id"), "");
    EXPECT_NE(r.Header("x-edge-node"), "");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllProvidersAllApis, ConformanceFallback,
    ::testing::Combine(::testing::ValuesIn(kAllProviders),
                       ::testing::Values(ClientApi::kChat, ClientApi::kMessages,
                                         ClientApi::kResponses)),
    [](const ::testing::TestParamInfo<ProviderApi>& info) {
      return ProviderName(std::get<0>(info.param)) + "_" + ApiName(std::get<1>(info.param));
    });

// ---- when the answer was created, per provider ----

// The creation time a chat or Responses answer states (`created`, `created_at`; streams: the
// first chunk's, response.created's), or -1.
int64_t CreatedAt(ClientApi api, const Response& r, bool stream) {
  std::string first = stream ? SseData(r.body).front() : r.body;
  rapidjson::Document d = ParseJson(first);
  if (api == ClientApi::kChat) return JsonInt(d, "created");
  return JsonInt(d, stream ? "response.created_at" : "created_at");
}

class ConformanceCreationTime : public ConformanceBase, public ::testing::TestWithParam<Provider> {
 protected:
  static void TearDownTestSuite() { StopStages(); }
};

TEST_P(ConformanceCreationTime, AnswersSayWhenTheyWereCreated) {
  for (ClientApi api : {ClientApi::kChat, ClientApi::kResponses}) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(ApiName(api) + (stream ? " stream" : " whole"));
      Response r;
      ASSERT_NO_FATAL_FAILURE(Call(GetParam(), api, "main", stream, &r));
      ASSERT_EQ(r.status, 200) << r.body;
      int64_t created = CreatedAt(api, r, stream);
      EXPECT_NEAR(created, static_cast<int64_t>(std::time(nullptr)), 300) << r.body;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllProviders, ConformanceCreationTime, ::testing::ValuesIn(kAllProviders),
                         [](const auto& info) { return ProviderName(info.param); });

}  // namespace
}  // namespace edge::e2e
