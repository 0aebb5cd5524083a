// The pass-through relays count the output characters they forward, so that a stream cut
// before the provider's usage report can still be billed (providers::UsageSoFar).

#include <gtest/gtest.h>

#include <string>

#include "providers/anthropic/passthrough.h"
#include "providers/openai/openai.h"
#include "providers/openai/responses_passthrough.h"

namespace edge::providers {
namespace {

TEST(OutputChars, OpenAiChunksCountContentReasoningAndToolCalls) {
  const std::string sse =
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"\"}}]}\n\n"
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"abc\"}}]}"
      "\n\n"
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}}],\"usage\":null}\n\n"
      "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":4,\"total_tokens\":7}}\n\n"
      "data: [DONE]\n\n";
  openai::ChatStreamRelay relay(/*client_wants_usage=*/false);
  std::string out;
  relay.Feed(sse, &out);
  // "Hello" 5 + "abc" 3 + "get_weather" 11 + the arguments as sent, escapes and all, 9.
  EXPECT_EQ(relay.output_chars(), 5u + 3u + 11u + 9u);
  ASSERT_TRUE(relay.usage().has_value());
  EXPECT_EQ(relay.usage()->output_tokens, 4);  // counting leaves the usage reading intact
  EXPECT_EQ(out.find("\"usage\":{"), std::string::npos);  // and the usage chunk dropped
}

TEST(OutputChars, AnthropicDeltasCountTextThinkingAndToolInput) {
  const std::string sse =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
      "\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello!\"}}\n\n"
      // Without `event:` lines, as some proxies send them.
      "data: {\"type\":\"content_block_delta\",\"index\":2,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\"\"}}\n\n";
  anthropic::PassthroughStream relay;
  std::string out;
  relay.Feed(sse, &out);
  EXPECT_EQ(out, sse);  // still forwarded byte for byte
  EXPECT_EQ(relay.output_chars(), 3u + 6u + 4u);
  EXPECT_EQ(relay.usage().input_tokens, 10);
}

TEST(OutputChars, ResponsesDeltaEvents) {
  const std::string sse =
      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
      "\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi there\","
      "\"sequence_number\":4}\n\n"
      "event: response.function_call_arguments.delta\ndata: {\"type\":"
      "\"response.function_call_arguments.delta\",\"item_id\":\"f\",\"output_index\":1,"
      "\"delta\":\"{}\",\"sequence_number\":5}\n\n"
      "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\","
      "\"text\":\"Hi there\",\"sequence_number\":6}\n\n";
  openai::ResponsesPassthrough relay;
  std::string out;
  relay.Feed(sse, &out);
  EXPECT_EQ(relay.output_chars(), 8u + 2u);  // the .done repeat is not counted twice
}

TEST(OutputChars, MalformedChunksCountNothingAndPassUnchanged) {
  const std::string sse =
      "data: {\"choices\":[{\"delta\":{\"content\":42}}]}\n\n"
      "data: {\"choices\":[{\"delta\":\"text\"}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"\n\n";
  openai::ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(sse, &out);
  EXPECT_EQ(relay.output_chars(), 0u);
  EXPECT_EQ(out, sse);
}

}  // namespace
}  // namespace edge::providers
