#include "providers/usage_estimate.h"

#include <gtest/gtest.h>

namespace edge::providers {
namespace {

TEST(UsageEstimate, FourCharactersPerTokenRoundedUp) {
  EXPECT_EQ(EstimateTokens(0), 0);
  EXPECT_EQ(EstimateTokens(1), 1);
  EXPECT_EQ(EstimateTokens(4), 1);
  EXPECT_EQ(EstimateTokens(5), 2);
  EXPECT_EQ(EstimateTokens(400), 100);
}

TEST(UsageEstimate, PromptCountsMessageTextNotModelRolesOrImages) {
  // 40 characters of text in two messages: 10 tokens + 2 x 4 framing.
  const std::string chat = R"({"model":"a-very-long-model-name-that-is-not-text","messages":[
    {"role":"system","content":"0123456789abcdefghij"},
    {"role":"user","content":[{"type":"text","text":"0123456789abcdefghij"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAA"}}]}],
    "stream":true,"max_tokens":100})";
  EXPECT_EQ(EstimatePromptTokens(chat), 10 + 8);
}

TEST(UsageEstimate, PromptOfAnthropicAndResponsesBodies) {
  const std::string messages = R"({"model":"claude","system":"01234567",
    "messages":[{"role":"user","content":"01234567"}],"max_tokens":10})";
  EXPECT_EQ(EstimatePromptTokens(messages), 4 + 4);
  const std::string responses = R"({"model":"gpt","instructions":"01234567","input":"01234567"})";
  EXPECT_EQ(EstimatePromptTokens(responses), 4);  // input as a string: no message framing
}

TEST(UsageEstimate, PromptThatIsNotJsonCountsByLength) {
  EXPECT_EQ(EstimatePromptTokens("not json at all!"), 4);
  EXPECT_EQ(EstimatePromptTokens(""), 0);
}

TEST(UsageEstimate, SoFarKeepsWhatTheProviderReported) {
  Usage anthropic_start;  // message_start: the prompt is known, the output provisional
  anthropic_start.input_tokens = 1200;
  anthropic_start.cached_input_tokens = 1000;
  anthropic_start.output_tokens = 1;
  anthropic_start.reported = true;
  Usage u = UsageSoFar(anthropic_start, 400, R"({"messages":[]})");
  EXPECT_EQ(u.input_tokens, 1200);
  EXPECT_EQ(u.cached_input_tokens, 1000);
  EXPECT_EQ(u.output_tokens, 100);  // the 400 characters delivered, not the provisional 1
  EXPECT_FALSE(u.reported);

  Usage gemini_cumulative;  // every chunk carries the counts so far
  gemini_cumulative.input_tokens = 50;
  gemini_cumulative.output_tokens = 30;
  gemini_cumulative.reported = true;
  EXPECT_EQ(UsageSoFar(gemini_cumulative, 40, "{}").output_tokens, 30);
}

TEST(UsageEstimate, SoFarWithoutAnyReportEstimatesBoth) {
  Usage u = UsageSoFar(std::nullopt, 81, R"({"messages":[{"role":"user","content":"abcdefgh"}]})");
  EXPECT_EQ(u.input_tokens, 2 + 4);
  EXPECT_EQ(u.output_tokens, 21);
  EXPECT_FALSE(u.reported);
}

TEST(UsageEstimate, RequestEstimateReadsTheOutputLimitAsMaxTokensDoes) {
  const std::string chat = R"({"model":"m","messages":[{"role":"user","content":"abcdefgh"}])";
  auto with = [&](std::string_view members) {
    return EstimateRequest(chat + std::string(members) + "}");
  };
  EXPECT_EQ(with("").prompt_tokens, EstimatePromptTokens(chat + "}"));
  EXPECT_EQ(with("").max_output_tokens, std::nullopt);
  EXPECT_EQ(with(R"(,"max_tokens":300)").max_output_tokens, 300);
  EXPECT_EQ(with(R"(,"max_completion_tokens":50,"max_tokens":300)").max_output_tokens, 50);
  // max_completion_tokens present but not a positive integer: no limit, as MaxTokens errs
  EXPECT_EQ(with(R"(,"max_completion_tokens":0,"max_tokens":300)").max_output_tokens, std::nullopt);
  EXPECT_EQ(with(R"(,"max_tokens":"300")").max_output_tokens, std::nullopt);
  EXPECT_EQ(with(R"(,"max_tokens":-4)").max_output_tokens, std::nullopt);
  EXPECT_EQ(with(R"(,"max_tokens":2.5)").max_output_tokens, std::nullopt);
  EXPECT_EQ(EstimateRequest("not json").max_output_tokens, std::nullopt);
  EXPECT_EQ(EstimateRequest("[1,2]").max_output_tokens, std::nullopt);
  // The parser is reused across calls: a second body is read whole, not mixed with the first.
  EXPECT_EQ(EstimateRequest(R"({"max_tokens":7})").max_output_tokens, 7);
  EXPECT_EQ(EstimateRequest(R"({"messages":[]})").max_output_tokens, std::nullopt);
}

}  // namespace
}  // namespace edge::providers
