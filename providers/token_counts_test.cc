// Token counts are the provider's word, and a provider (or whatever answers in its place) may
// send any integer up to 2^63-1. Every reader clamps them to kMaxReportedTokens and every sum
// saturates, so that a bill never wraps and the sanitizer build never sees signed overflow.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "providers/adapter.h"
#include "providers/anthropic/adapter.h"
#include "providers/anthropic/passthrough.h"
#include "providers/api/client_api.h"
#include "providers/bedrock/adapter.h"
#include "providers/gemini/adapter.h"
#include "providers/openai/adapter.h"
#include "providers/openai/openai.h"

namespace edge::providers {
namespace {

const std::string kMax = std::to_string(INT64_MAX);

void ExpectSane(const Usage& u) {
  for (int64_t n : {u.input_tokens, u.output_tokens, u.cached_input_tokens, u.reasoning_tokens}) {
    EXPECT_GE(n, 0);
    EXPECT_LE(n, 4 * kMaxReportedTokens);
  }
}

TEST(TokenCounts, ClampAndAdd) {
  EXPECT_EQ(ClampTokens(INT64_MAX), kMaxReportedTokens);
  EXPECT_EQ(ClampTokens(-5), 0);
  EXPECT_EQ(ClampTokens(1234), 1234);
  EXPECT_EQ(AddTokens(INT64_MAX, 1), INT64_MAX);
  EXPECT_EQ(AddTokens(INT64_MAX, INT64_MAX), INT64_MAX);
  EXPECT_EQ(AddTokens(INT64_MIN, -1), INT64_MIN);
  EXPECT_EQ(AddTokens(2, 3), 5);
}

TEST(TokenCounts, AnthropicAnswersStreamsAndPassthrough) {
  // The review's case: input plus cache reads plus cache writes, each up to INT64_MAX.
  const std::string usage = R"({"input_tokens":)" + kMax + R"(,"cache_read_input_tokens":1,)" +
                            R"("cache_creation_input_tokens":)" + kMax + R"(,"output_tokens":)" +
                            kMax + "}";
  const std::string message =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"c","content":[{"type":"text",)"
      R"("text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":)" +
      usage + "}";
  Result<ChatResponse> r = anthropic::AnthropicAdapter().ParseChat(message);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSane(r->usage);
  EXPECT_EQ(r->usage.input_tokens, 2 * kMaxReportedTokens + 1);
  EXPECT_EQ(r->usage.cached_input_tokens, 1);
  EXPECT_EQ(r->usage.output_tokens, kMaxReportedTokens);

  std::optional<Usage> extracted = anthropic::ExtractUsage(message);
  ASSERT_TRUE(extracted.has_value());
  EXPECT_EQ(extracted->input_tokens, 2 * kMaxReportedTokens + 1);

  const std::string sse =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
      "\"model\":\"c\",\"usage\":" +
      usage + "}}\n\n";
  std::unique_ptr<StreamDecoder> decoder = anthropic::AnthropicAdapter().NewStreamDecoder();
  std::vector<StreamDelta> deltas;
  ASSERT_TRUE(decoder->Feed(sse, &deltas).ok());
  EXPECT_EQ(decoder->usage().input_tokens, 2 * kMaxReportedTokens + 1);
  ExpectSane(decoder->usage());

  anthropic::PassthroughStream relay;
  std::string out;
  relay.Feed(sse, &out);
  EXPECT_EQ(relay.usage().input_tokens, 2 * kMaxReportedTokens + 1);
}

TEST(TokenCounts, GeminiUsageMetadata) {
  const std::string body = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},)"
                           R"("finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":)" +
                           kMax + R"(,"toolUsePromptTokenCount":)" + kMax +
                           R"(,"candidatesTokenCount":)" + kMax + R"(,"thoughtsTokenCount":)" +
                           kMax + R"(,"cachedContentTokenCount":)" + kMax + "}}";
  Result<ChatResponse> r = gemini::GeminiAdapter().ParseChat(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSane(r->usage);
  EXPECT_EQ(r->usage.input_tokens, 2 * kMaxReportedTokens);
  EXPECT_EQ(r->usage.output_tokens, 2 * kMaxReportedTokens);
  EXPECT_EQ(r->usage.reasoning_tokens, kMaxReportedTokens);
  EXPECT_EQ(r->usage.cached_input_tokens, kMaxReportedTokens);

  std::unique_ptr<StreamDecoder> decoder = gemini::GeminiAdapter().NewStreamDecoder();
  std::vector<StreamDelta> deltas;
  ASSERT_TRUE(decoder->Feed("data: " + body + "\r\n\r\n", &deltas).ok());
  EXPECT_EQ(decoder->usage().input_tokens, 2 * kMaxReportedTokens);
}

TEST(TokenCounts, BedrockConverseAndEmbeddings) {
  const std::string body =
      R"({"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},)"
      R"("stopReason":"end_turn","usage":{"inputTokens":)" +
      kMax + R"(,"cacheReadInputTokens":)" + kMax + R"(,"cacheWriteInputTokens":)" + kMax +
      R"(,"outputTokens":)" + kMax + "}}";
  Result<ChatResponse> r = bedrock::BedrockAdapter().ParseChat(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSane(r->usage);
  EXPECT_EQ(r->usage.input_tokens, 3 * kMaxReportedTokens);
  EXPECT_EQ(r->usage.output_tokens, kMaxReportedTokens);

  Target t;
  t.provider = "bedrock";
  t.model = "cohere.embed-multilingual-v3";
  Usage usage;
  Result<std::string> e = bedrock::BedrockAdapter().ParseEmbeddings(
      t, R"({"embeddings":[[0.5]],"meta":{"billed_units":{"input_tokens":)" + kMax + "}}}", &usage);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(usage.input_tokens, kMaxReportedTokens);
}

TEST(TokenCounts, OpenAiAnswersAndChunks) {
  const std::string usage = R"({"prompt_tokens":)" + kMax + R"(,"completion_tokens":)" + kMax +
                            R"(,"total_tokens":-2,"prompt_tokens_details":{"cached_tokens":)" +
                            kMax + R"(},"completion_tokens_details":{"reasoning_tokens":)" + kMax +
                            "}}";
  const std::string body =
      R"({"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":)" +
      usage + "}";
  Result<ChatResponse> r = openai::OpenAiAdapter().ParseChat(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSane(r->usage);
  EXPECT_EQ(r->usage.input_tokens, kMaxReportedTokens);

  std::optional<Usage> extracted = openai::ExtractUsage(body);
  ASSERT_TRUE(extracted.has_value());
  ExpectSane(*extracted);
  EXPECT_EQ(extracted->output_tokens, kMaxReportedTokens);
  EXPECT_EQ(extracted->reasoning_tokens, kMaxReportedTokens);

  std::unique_ptr<StreamDecoder> decoder = openai::OpenAiAdapter().NewStreamDecoder();
  std::vector<StreamDelta> deltas;
  ASSERT_TRUE(
      decoder->Feed(R"(data: {"id":"c","choices":[],"usage":)" + usage + "}\n\n", &deltas).ok());
  ExpectSane(decoder->usage());
  EXPECT_EQ(decoder->usage().cached_input_tokens, kMaxReportedTokens);
}

TEST(TokenCounts, EncodersSaturateTotals) {
  // Whatever a Usage holds, total_tokens is never a wrapped negative number.
  ChatResponse response;
  response.text = "hi";
  response.usage.input_tokens = INT64_MAX;
  response.usage.output_tokens = INT64_MAX;
  response.usage.reported = true;
  const std::string total = "\"total_tokens\":" + kMax;
  const std::string chat = api::OpenAiChatApi().EncodeResponse(response, "m");
  EXPECT_NE(chat.find(total), std::string::npos) << chat;
  const std::string responses = api::ResponsesApi().EncodeResponse(response, "m");
  EXPECT_NE(responses.find(total), std::string::npos) << responses;
}

}  // namespace
}  // namespace edge::providers
