// ChatStreamRelay against golden streams written from OpenAI's documented format.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <iterator>
#include <string>

#include "providers/openai/openai.h"

namespace edge::providers::openai {
namespace {

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/openai/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ToCrlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string RelayWhole(bool wants_usage, const std::string& upstream,
                       ChatStreamRelay* relay_out = nullptr) {
  ChatStreamRelay relay(wants_usage);
  std::string out;
  relay.Feed(upstream, &out);
  if (relay_out) *relay_out = relay;
  return out;
}

TEST(ChatStreamRelay, StripsUsageWhenClientDidNotAsk) {
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(Testdata("chat_stream_usage.sse"), &out);
  // Exactly what OpenAI sends to a client that did not ask for usage.
  EXPECT_EQ(out, Testdata("chat_stream_no_usage.sse"));
  ASSERT_TRUE(relay.usage().has_value());
  EXPECT_EQ(relay.usage()->input_tokens, 19);
  EXPECT_EQ(relay.usage()->output_tokens, 10);
  EXPECT_EQ(relay.usage()->cached_input_tokens, 3);
  EXPECT_TRUE(relay.usage()->reported);
  EXPECT_TRUE(relay.done());
  EXPECT_TRUE(relay.content_started());
  EXPECT_FALSE(relay.failed());
  EXPECT_EQ(relay.pending(), 0u);
}

TEST(ChatStreamRelay, PassesEverythingWhenClientAsked) {
  const std::string upstream = Testdata("chat_stream_usage.sse");
  ChatStreamRelay relay(true);
  std::string out;
  relay.Feed(upstream, &out);
  EXPECT_EQ(out, upstream);
  ASSERT_TRUE(relay.usage().has_value());
  EXPECT_EQ(relay.usage()->output_tokens, 10);
}

TEST(ChatStreamRelay, ToolCallDeltasPassThrough) {
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(Testdata("chat_stream_tools_usage.sse"), &out);
  EXPECT_EQ(out, Testdata("chat_stream_tools_no_usage.sse"));
  ASSERT_TRUE(relay.usage().has_value());
  EXPECT_EQ(relay.usage()->input_tokens, 82);
  EXPECT_EQ(relay.usage()->output_tokens, 17);
}

TEST(ChatStreamRelay, UpstreamWithoutUsagePassesUnchanged) {
  const std::string upstream = Testdata("chat_stream_no_usage.sse");
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(upstream, &out);
  EXPECT_EQ(out, upstream);
  EXPECT_FALSE(relay.usage().has_value());
  EXPECT_TRUE(relay.done());
}

// Two-way splits at every byte and one byte at a time: the same output, and every event is
// forwarded as soon as its last byte arrives.
TEST(ChatStreamRelay, AnySplitGivesTheSameStream) {
  for (bool crlf : {false, true}) {
    std::string upstream = Testdata("chat_stream_usage.sse");
    std::string expected = Testdata("chat_stream_no_usage.sse");
    if (crlf) {
      upstream = ToCrlf(upstream);
      expected = ToCrlf(expected);
    }
    for (size_t i = 0; i <= upstream.size(); ++i) {
      ChatStreamRelay relay(false);
      std::string out;
      relay.Feed(std::string_view(upstream).substr(0, i), &out);
      relay.Feed(std::string_view(upstream).substr(i), &out);
      ASSERT_EQ(out, expected) << "split at " << i << (crlf ? " crlf" : "");
      ASSERT_TRUE(relay.done());
      ASSERT_EQ(relay.usage()->input_tokens, 19);
    }
    ChatStreamRelay relay(false);
    std::string out;
    size_t growths = 0;
    for (size_t i = 0; i < upstream.size(); ++i) {
      const size_t before = out.size();
      relay.Feed(std::string_view(upstream).substr(i, 1), &out);
      if (out.size() != before) {
        ++growths;
        // Only ever on the last byte of an event.
        const std::string end = crlf ? "\r\n\r\n" : "\n\n";
        EXPECT_EQ(upstream.substr(i + 1 - end.size(), end.size()), end) << i;
      }
    }
    EXPECT_EQ(out, expected);
    EXPECT_EQ(growths, 12u);  // role, 9 content, finish, [DONE]; the usage chunk is dropped
  }
}

TEST(ChatStreamRelay, ForwardsEachEventWhenComplete) {
  const std::string first =
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n";
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(first.substr(0, first.size() - 1), &out);
  EXPECT_EQ(out, "");
  EXPECT_FALSE(relay.content_started());
  relay.Feed("\n", &out);
  EXPECT_EQ(out, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n");
  EXPECT_TRUE(relay.content_started());
}

TEST(ChatStreamRelay, RemovesNullUsageWherever) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"data: {\"usage\":null,\"choices\":[{}]}\n\n", "data: {\"choices\":[{}]}\n\n"},
      {"data: { \"usage\" : null , \"choices\":[{}]}\n\n", "data: {  \"choices\":[{}]}\n\n"},
      {"data: {\"choices\":[{}] ,\t \"usage\":null }\n\n", "data: {\"choices\":[{}]  }\n\n"},
      {"data: {\"usage\":null}\n\n", "data: {}\n\n"},
      {"data: {\"usage\":null,\"usage\":null,\"a\":1}\n\n", "data: {\"a\":1}\n\n"},
      // Nested usage members belong to someone else.
      {"data: {\"choices\":[{\"usage\":null}]}\n\n", "data: {\"choices\":[{\"usage\":null}]}\n\n"},
      // A string that merely mentions it.
      {"data: {\"c\":\"\\\"usage\\\":null\",\"usage\":null}\n\n",
       "data: {\"c\":\"\\\"usage\\\":null\"}\n\n"},
      // Several data lines: written anew.
      {"id: 4\ndata: {\"a\":1,\ndata: \"usage\":null}\n\n", "id: 4\ndata: {\"a\":1}\n\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(RelayWhole(false, c.in), c.out) << c.in;
}

TEST(ChatStreamRelay, TheCutLeavesTheRestAsItCame) {
  // Text the relay does not read (here, a broken array) is neither checked nor changed: the
  // client gets the upstream's event without its null usage, nothing else.
  EXPECT_EQ(RelayWhole(false, "data: {\"x\":[1 2],\"usage\":null,\"y\":{\"a\" 1}}\n\n"),
            "data: {\"x\":[1 2],\"y\":{\"a\" 1}}\n\n");
  // What the relay does read must be an object's members to its end, or nothing is cut.
  for (const char* odd : {"data: {\"usage\":null,\"y\" 1}\n\n", "data: {\"usage\":null} x\n\n",
                          "data: {\"usage\":nul}\n\n", "data: {\"usage\":null\n\n"}) {
    EXPECT_EQ(RelayWhole(false, odd), odd);
  }
}

TEST(ChatStreamRelay, OddEventsPassThrough) {
  const std::string odd =
      ": keep-alive\n\n"
      "data: not json {\"usage\":null}\n\n"
      "data: {\"usage\":null,\n\n"  // truncated JSON
      "data: [1,2]\n\n"
      "event: ping\ndata: {\"usage\":null}\n\n"  // a named event: not a chunk
      "retry: 100\n\n"
      "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"
      "\n";
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(odd, &out);
  EXPECT_EQ(out, odd);
  EXPECT_FALSE(relay.done());
  EXPECT_FALSE(relay.content_started());
  EXPECT_FALSE(relay.usage().has_value());
}

TEST(ChatStreamRelay, MalformedUsageChunkIsNeitherBelievedNorDropped) {
  // On-Demand alone would read this usage; the full parse refuses the event.
  const std::string ev =
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5},\"x\"::1}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5},\"x\":nu}\n\n";
  ChatStreamRelay relay(false);
  EXPECT_EQ(RelayWhole(false, ev, &relay), ev);
  EXPECT_FALSE(relay.usage().has_value());
}

TEST(ChatStreamRelay, UsageInAContentChunkIsKeptAndCaptured) {
  // Some OpenAI-compatible servers put usage on the last content chunk.
  const std::string ev =
      "data: {\"choices\":[{\"delta\":{}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"
      "\n\n";
  ChatStreamRelay relay(false);
  EXPECT_EQ(RelayWhole(false, ev, &relay), ev);
  ASSERT_TRUE(relay.usage().has_value());
  EXPECT_EQ(relay.usage()->output_tokens, 4);
}

TEST(ChatStreamRelay, UsageChunkWithoutChoicesMemberIsDropped) {
  ChatStreamRelay relay(false);
  EXPECT_EQ(RelayWhole(false, "data: {\"usage\":{\"prompt_tokens\":1}}\n\n", &relay), "");
  EXPECT_EQ(relay.usage()->input_tokens, 1);
}

TEST(ChatStreamRelay, FinishForwardsEventEndedByFinalCr) {
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed("data: [DONE]\r\r", &out);
  EXPECT_EQ(out, "");
  relay.Finish(&out);
  EXPECT_EQ(out, "data: [DONE]\r\r");
  EXPECT_TRUE(relay.done());
}

TEST(ChatStreamRelay, OversizedEventFails) {
  ChatStreamRelay relay(false);
  std::string out;
  std::string huge = "data: \"" + std::string(9 << 20, 'x');
  relay.Feed(huge, &out);
  EXPECT_TRUE(relay.failed());
  EXPECT_EQ(out, "");
  relay.Feed("\"\n\ndata: [DONE]\n\n", &out);
  EXPECT_EQ(out, "");
  EXPECT_FALSE(relay.done());
}

TEST(ChatStreamRelay, OutputStaysValidJson) {
  ChatStreamRelay relay(false);
  std::string out;
  relay.Feed(Testdata("chat_stream_tools_usage.sse"), &out);
  size_t pos = 0;
  int chunks = 0;
  while ((pos = out.find("data: {", pos)) != std::string::npos) {
    const size_t end = out.find("\n\n", pos);
    rapidjson::Document d;
    d.Parse(out.c_str() + pos + 6, end - pos - 6);
    EXPECT_FALSE(d.HasParseError());
    EXPECT_FALSE(d.HasMember("usage"));
    pos = end;
    ++chunks;
  }
  EXPECT_EQ(chunks, 9);
}

}  // namespace
}  // namespace edge::providers::openai
