#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "providers/bedrock/adapter.h"
#include "providers/bedrock/eventstream.h"

namespace edge::providers::bedrock {
namespace {

using Kind = StreamDelta::Kind;

std::string ReadFile(const std::string& name) {
  std::ifstream in(EDGE_SOURCE_DIR "/providers/bedrock/testdata/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Outcome {
  std::vector<StreamDelta> deltas;
  Status feed, finish;
  std::unique_ptr<StreamDecoder> decoder;
};

Outcome Decode(std::string_view bytes, size_t step) {
  Outcome r;
  r.decoder = BedrockAdapter().NewStreamDecoder();
  for (size_t pos = 0; pos < bytes.size() && r.feed.ok(); pos += step) {
    r.feed = r.decoder->Feed(bytes.substr(pos, step), &r.deltas);
  }
  if (r.feed.ok()) r.finish = r.decoder->Finish(&r.deltas);
  return r;
}

std::string Event(std::string type, std::string payload) {
  return EncodeEventMessage(
      {{":event-type", type}, {":content-type", "application/json"}, {":message-type", "event"}},
      payload);
}

std::string Exception(std::string type, std::string payload) {
  return EncodeEventMessage({{":exception-type", type},
                             {":content-type", "application/json"},
                             {":message-type", "exception"}},
                            payload);
}

TEST(BedrockStream, TextAnySplit) {
  const std::string bytes = ReadFile("converse_stream_text.bin");
  for (size_t step : {size_t{1}, size_t{3}, size_t{64}, bytes.size()}) {
    SCOPED_TRACE(step);
    Outcome r = Decode(bytes, step);
    ASSERT_TRUE(r.feed.ok()) << r.feed.ToString();
    ASSERT_TRUE(r.finish.ok()) << r.finish.ToString();
    ASSERT_EQ(r.deltas.size(), 5u);
    EXPECT_EQ(r.deltas[0].kind, Kind::kStart);
    EXPECT_EQ(r.deltas[1].kind, Kind::kText);
    EXPECT_EQ(r.deltas[1].text, "Hello");
    EXPECT_EQ(r.deltas[2].text, ", \xc3\xa9\xe4\xb8\xad world");
    EXPECT_EQ(r.deltas[3].kind, Kind::kFinish);
    EXPECT_EQ(r.deltas[3].finish_reason, "stop");
    EXPECT_EQ(r.deltas[4].kind, Kind::kUsage);
    EXPECT_EQ(r.deltas[4].usage.input_tokens, 12);
    EXPECT_EQ(r.deltas[4].usage.output_tokens, 4);
    EXPECT_TRUE(r.deltas[4].usage.reported);
    EXPECT_EQ(r.decoder->usage().output_tokens, 4);
    EXPECT_FALSE(r.decoder->error());
  }
}

TEST(BedrockStream, ToolUse) {
  Outcome r = Decode(ReadFile("converse_stream_tool.bin"), 5);
  ASSERT_TRUE(r.feed.ok() && r.finish.ok());
  ASSERT_EQ(r.deltas.size(), 7u);
  EXPECT_EQ(r.deltas[1].text, "Let me look.");
  EXPECT_EQ(r.deltas[2].kind, Kind::kToolCallStart);
  EXPECT_EQ(r.deltas[2].index, 0);
  EXPECT_EQ(r.deltas[2].tool_id, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
  EXPECT_EQ(r.deltas[2].tool_name, "top_song");
  EXPECT_EQ(r.deltas[3].kind, Kind::kToolCallArgs);
  EXPECT_EQ(r.deltas[3].index, 0);
  EXPECT_EQ(r.deltas[3].text + r.deltas[4].text, R"({"sign": "WZPZ"})");
  EXPECT_EQ(r.deltas[5].finish_reason, "tool_calls");
  EXPECT_EQ(r.deltas[6].usage.input_tokens, 1375);
  EXPECT_EQ(r.deltas[6].usage.cached_input_tokens, 1000);
  EXPECT_EQ(r.deltas[6].usage.output_tokens, 57);
}

TEST(BedrockStream, ExceptionFrame) {
  const std::string bytes = ReadFile("converse_stream_exception.bin");
  Outcome r = Decode(bytes + Event("contentBlockDelta", "{}"), 7);
  ASSERT_TRUE(r.feed.ok());
  EXPECT_TRUE(r.finish.ok());  // the error is reported through error()
  ASSERT_EQ(r.deltas.size(), 1u);
  EXPECT_EQ(r.deltas[0].kind, Kind::kStart);
  ASSERT_TRUE(r.decoder->error());
  EXPECT_EQ(r.decoder->error()->status, 429);
  EXPECT_TRUE(r.decoder->error()->retryable);
  EXPECT_EQ(r.decoder->error()->type, "ThrottlingException");
  EXPECT_EQ(r.decoder->error()->message, "Too many requests, please wait before trying again.");
  EXPECT_FALSE(r.decoder->usage().reported);
}

TEST(BedrockStream, ExceptionTypes) {
  struct Case {
    const char* type;
    int status;
    bool retryable;
  } cases[] = {{"modelStreamErrorException", 502, true},
               {"serviceUnavailableException", 503, true},
               {"internalServerException", 502, true},
               {"validationException", 400, false},
               {"somethingNewException", 502, true}};
  for (const Case& c : cases) {
    Outcome r = Decode(
        Event("messageStart", R"({"role":"assistant"})") + Exception(c.type, R"({"message":"m"})"),
        1000);
    ASSERT_TRUE(r.decoder->error()) << c.type;
    EXPECT_EQ(r.decoder->error()->status, c.status) << c.type;
    EXPECT_EQ(r.decoder->error()->retryable, c.retryable) << c.type;
  }
  // An `error` message names itself in headers.
  Outcome r = Decode(EncodeEventMessage({{":message-type", "error"},
                                         {":error-code", "InternalFailure"},
                                         {":error-message", "boom"}},
                                        ""),
                     1000);
  ASSERT_TRUE(r.decoder->error());
  EXPECT_EQ(r.decoder->error()->message, "boom");
  EXPECT_TRUE(r.decoder->error()->retryable);
  // An exception whose payload is not JSON still gets a message.
  r = Decode(Exception("throttlingException", "not json"), 1000);
  ASSERT_TRUE(r.decoder->error());
  EXPECT_FALSE(r.decoder->error()->message.empty());
}

TEST(BedrockStream, BadCrc) {
  Outcome r = Decode(ReadFile("converse_stream_bad_crc.bin"), 9);
  EXPECT_EQ(r.feed.code(), Code::kUnavailable);
  EXPECT_NE(r.feed.message().find("CRC"), std::string::npos);
}

TEST(BedrockStream, EndedEarly) {
  const std::string bytes = ReadFile("converse_stream_text.bin");
  Outcome r = Decode(bytes.substr(0, bytes.size() - 10), 50);  // inside metadata
  ASSERT_TRUE(r.feed.ok());
  EXPECT_EQ(r.finish.code(), Code::kUnavailable);
  const std::string start = Event("messageStart", "{}");
  r = Decode(start + Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"a"}})"),
             50);
  EXPECT_FALSE(r.finish.ok());  // no messageStop
  EXPECT_FALSE(r.decoder->usage().reported);
  // messageStop without metadata is a complete answer without usage.
  r = Decode(start + Event("messageStop", R"({"stopReason":"stop_sequence"})"), 50);
  EXPECT_TRUE(r.finish.ok());
  EXPECT_EQ(r.deltas.back().finish_reason, "stop");
}

TEST(BedrockStream, MalformedEvents) {
  auto feed = [](std::string bytes) { return Decode(bytes, bytes.size()).feed; };
  EXPECT_FALSE(feed(Event("contentBlockDelta", "{not json")).ok());
  EXPECT_FALSE(feed(Event("contentBlockDelta", "[]")).ok());
  EXPECT_FALSE(feed(Event("contentBlockDelta", R"({"contentBlockIndex":0})")).ok());
  EXPECT_FALSE(feed(Event("contentBlockDelta",
                          R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}})"))
                   .ok());
  EXPECT_FALSE(feed(EncodeEventMessage({{":event-type", "messageStart"}}, "{}")).ok());
  EXPECT_FALSE(feed(Event("contentBlockStart", R"({"start":{"toolUse":{"name":"x"}}})")).ok());
  // Unknown events, reasoning deltas and empty texts pass without a delta.
  Outcome r =
      Decode(Event("somethingNew", R"({"x":1})") +
                 Event("contentBlockDelta",
                       R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"t"}}})") +
                 Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":""}})"),
             1000);
  EXPECT_TRUE(r.feed.ok());
  EXPECT_TRUE(r.deltas.empty());
}

TEST(BedrockStream, MoreToolCallsThanTheCapAreMalformed) {
  // Each tool block is searched per delta: a stream of endless tool blocks ends as an
  // upstream failure at the cap instead of growing and slowing without bound.
  auto tool_block = [](size_t i) {
    const std::string n = std::to_string(i);
    return Event("contentBlockStart", R"({"contentBlockIndex":)" + n +
                                          R"(,"start":{"toolUse":{"toolUseId":"t)" + n +
                                          R"(","name":"f"}}})");
  };
  std::string at_cap = Event("messageStart", R"({"role":"assistant"})");
  for (size_t i = 0; i < kMaxStreamToolCalls; ++i) at_cap += tool_block(i);
  const std::string last_args = Event(
      "contentBlockDelta", R"({"contentBlockIndex":)" + std::to_string(kMaxStreamToolCalls - 1) +
                               R"(,"delta":{"toolUse":{"input":"{}"}}})");
  const std::string stop = Event("messageStop", R"({"stopReason":"tool_use"})");

  Outcome r = Decode(at_cap + last_args + stop, 4096);
  ASSERT_TRUE(r.feed.ok()) << r.feed.ToString();
  ASSERT_TRUE(r.finish.ok()) << r.finish.ToString();
  ASSERT_GE(r.deltas.size(), 2u);
  const StreamDelta& args = r.deltas[r.deltas.size() - 2];
  EXPECT_EQ(args.kind, Kind::kToolCallArgs);
  EXPECT_EQ(args.index, static_cast<int>(kMaxStreamToolCalls) - 1);

  r = Decode(at_cap + tool_block(kMaxStreamToolCalls) + stop, 4096);
  EXPECT_EQ(r.feed.code(), Code::kUnavailable);
  EXPECT_NE(r.feed.message().find("too many tool calls"), std::string::npos) << r.feed.ToString();
}

}  // namespace
}  // namespace edge::providers::bedrock
