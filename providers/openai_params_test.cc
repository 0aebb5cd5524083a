#include "providers/openai_params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace edge::providers {
namespace {

// Parses `json` into a tree that lives as long as the fixture (one per test: each call
// replaces it).
class OpenAiParamsTest : public ::testing::Test {
 protected:
  const JsonNode& Parse(const std::string& json) {
    JsonReadOptions keep;
    keep.refuse_duplicate_keys = false;  // canonical bodies were checked before
    EXPECT_TRUE(tree_.Parse(json, keep).ok()) << json;
    return tree_.root();
  }

  std::string Refusal(const std::string& json, const ParamSupport& support) {
    Status s = CheckSupported(Parse(json), support);
    return s.ok() ? "ok" : s.message();
  }

  JsonTree tree_;
};

constexpr ParamSupport kNothing{.provider = "acme"};

TEST_F(OpenAiParamsTest, RefusesWhatWouldChangeTheAnswer) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"n":2})", "acme does not support 'n' > 1"},
      {R"({"n":"1"})", "acme does not support 'n' > 1"},
      {R"({"logprobs":true})", "acme does not support logprobs"},
      {R"({"top_logprobs":0})", "acme does not support top_logprobs"},
      {R"({"logit_bias":{"50256":-100}})", "acme does not support logit_bias"},
      {R"({"functions":[]})", "acme does not support the legacy 'functions' member; use tools"},
      {R"({"function_call":"auto"})",
       "acme does not support the legacy 'function_call' member; use tools"},
      {R"({"audio":{}})", "acme does not support 'audio'"},
      {R"({"prediction":{}})", "acme does not support 'prediction'"},
      {R"({"web_search_options":{}})", "acme does not support 'web_search_options'"},
      {R"({"modalities":["text","audio"]})", "acme does not support non-text output"},
      {R"({"modalities":"text"})", "acme does not support these modalities"},
      {R"({"presence_penalty":0.5})", "acme does not support presence_penalty"},
      {R"({"frequency_penalty":"x"})", "acme does not support frequency_penalty"},
      {R"({"reasoning_effort":"high"})", "acme does not support 'reasoning_effort'"},
  };
  for (const auto& [json, error] : cases) EXPECT_EQ(Refusal(json, kNothing), error) << json;
}

TEST_F(OpenAiParamsTest, PassesDefaultsNullsAndServiceMembers) {
  EXPECT_EQ(Refusal(R"({"n":1,"logprobs":false,"logit_bias":{},"presence_penalty":0,
                        "frequency_penalty":0.0,"modalities":["text"],"top_logprobs":null,
                        "audio":null,"seed":7,"store":true,"metadata":{},"service_tier":"auto",
                        "stream_options":{"include_usage":true},"future_member":1})",
                    kNothing),
            "ok");
}

TEST_F(OpenAiParamsTest, SupportLetsPenaltiesAndReasoningThrough) {
  constexpr ParamSupport kAll{.provider = "acme", .penalties = true, .reasoning_effort = true};
  EXPECT_EQ(
      Refusal(R"({"presence_penalty":0.5,"frequency_penalty":-1,"reasoning_effort":"low"})", kAll),
      "ok");
  EXPECT_EQ(Refusal(R"({"presence_penalty":0.5,"n":3})", kAll), "acme does not support 'n' > 1");
}

TEST_F(OpenAiParamsTest, ReadsMembersNullAsAbsentLastDuplicateWins) {
  const ChatParams p = ReadChatParams(
      Parse(R"({"messages":[],"temperature":null,"top_p":0.5,"top_p":0.25,"user":"u",
                 "unknown":1,"seed":3})"));
  ASSERT_NE(p.messages, nullptr);
  EXPECT_TRUE(p.messages->IsArray());
  EXPECT_EQ(p.temperature, nullptr);
  ASSERT_NE(p.top_p, nullptr);
  EXPECT_EQ(p.top_p->text(), "0.25");
  EXPECT_EQ(p.user->text(), "u");
  EXPECT_EQ(p.seed->Int64(), 3);
  EXPECT_EQ(p.tools, nullptr);
  EXPECT_EQ(p.max_tokens, nullptr);
}

TEST_F(OpenAiParamsTest, NumberValueIsForRangeChecksOnly) {
  const JsonNode& a = Parse(R"([0.5, 1E+2, 1e999, -1e999, 1e-999, "1"])");
  EXPECT_EQ(NumberValue(a[0]), 0.5);
  EXPECT_EQ(NumberValue(a[1]), 100.0);
  EXPECT_EQ(NumberValue(a[2]), HUGE_VAL);
  EXPECT_EQ(NumberValue(a[3]), -HUGE_VAL);
  EXPECT_EQ(NumberValue(a[4]), 0.0);
  EXPECT_FALSE(NumberValue(a[5]));
}

TEST_F(OpenAiParamsTest, MaxTokensPrefersMaxCompletionTokens) {
  auto max = [&](const std::string& json) -> std::string {
    Result<std::optional<int64_t>> n = MaxTokens(ReadChatParams(Parse(json)));
    if (!n.ok()) return n.status().message();
    return n->has_value() ? std::to_string(**n) : "none";
  };
  EXPECT_EQ(max(R"({})"), "none");
  EXPECT_EQ(max(R"({"max_tokens":null})"), "none");
  EXPECT_EQ(max(R"({"max_tokens":100})"), "100");
  EXPECT_EQ(max(R"({"max_tokens":100,"max_completion_tokens":50})"), "50");
  EXPECT_EQ(max(R"({"max_tokens":"x","max_completion_tokens":50})"), "50");
  EXPECT_EQ(max(R"({"max_tokens":0})"), "'max_tokens' must be a positive integer");
  EXPECT_EQ(max(R"({"max_tokens":1.5})"), "'max_tokens' must be a positive integer");
  EXPECT_EQ(max(R"({"max_completion_tokens":"9"})"),
            "'max_completion_tokens' must be a positive integer");
}

TEST_F(OpenAiParamsTest, StopIsAStringOrStrings) {
  auto stop = [&](const std::string& json) -> std::string {
    Result<std::vector<std::string_view>> list = StopSequences(Parse(json));
    if (!list.ok()) return "error: " + list.status().message();
    std::string out;
    for (std::string_view s : *list) out.append("[").append(s).append("]");
    return out;
  };
  EXPECT_EQ(stop(R"("END")"), "[END]");
  EXPECT_EQ(stop(R"("")"), "[]");
  EXPECT_EQ(stop(R"(["a","b"])"), "[a][b]");
  EXPECT_EQ(stop(R"([])"), "");
  EXPECT_EQ(stop(R"(5)"), "error: 'stop' must be a string or an array of strings");
  EXPECT_EQ(stop(R"({"a":1})"), "error: 'stop' must be a string or an array of strings");
  EXPECT_EQ(stop(R"(["a",1])"), "error: 'stop' must hold strings");
}

}  // namespace
}  // namespace edge::providers
