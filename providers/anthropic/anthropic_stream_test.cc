// The Messages API stream decoder and the pass-through relay, against the documented event
// sequences in testdata/ fed whole, at every split point and in random pieces.

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "providers/anthropic/adapter.h"
#include "providers/anthropic/passthrough.h"

namespace edge::providers::anthropic {
namespace {

using Kind = StreamDelta::Kind;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/anthropic/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A delta as one line, so sequences compare and print readably.
std::string Describe(const StreamDelta& d) {
  switch (d.kind) {
    case Kind::kStart:
      return "start " + d.id + " " + d.model;
    case Kind::kText:
      return "text " + d.text;
    case Kind::kToolCallStart:
      return "tool " + std::to_string(d.index) + " " + d.tool_id + " " + d.tool_name;
    case Kind::kToolCallArgs:
      return "args " + std::to_string(d.index) + " " + d.text;
    case Kind::kFinish:
      return "finish " + d.finish_reason;
    case Kind::kUsage:
      return "usage in=" + std::to_string(d.usage.input_tokens) +
             " cached=" + std::to_string(d.usage.cached_input_tokens) +
             " out=" + std::to_string(d.usage.output_tokens) +
             (d.usage.reported ? "" : " unreported");
  }
  return "?";
}

struct Decoded {
  std::vector<std::string> deltas;
  Status feed;    // the first non-ok Feed
  Status finish;  // Finish's
  std::unique_ptr<StreamDecoder> decoder;
};

// Feeds `pieces` in order, then finishes.
Decoded Decode(const std::vector<std::string_view>& pieces) {
  Decoded r;
  r.decoder = AnthropicAdapter().NewStreamDecoder();
  std::vector<StreamDelta> out;
  for (std::string_view p : pieces) {
    Status s = r.decoder->Feed(p, &out);
    if (!s.ok() && r.feed.ok()) r.feed = s;
  }
  r.finish = r.decoder->Finish(&out);
  for (const StreamDelta& d : out) r.deltas.push_back(Describe(d));
  return r;
}

std::vector<std::string_view> RandomPieces(std::string_view s, std::mt19937* rng) {
  std::vector<std::string_view> pieces;
  std::uniform_int_distribution<size_t> len(0, 12);
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = std::min(len(*rng), s.size() - pos);
    pieces.push_back(s.substr(pos, n));
    pos += n;
  }
  return pieces;
}

const std::vector<std::string> kGoldenDeltas = {
    "start msg_014p7gG3wDgGV9EUtLvnow3U claude-sonnet-4-6",
    "usage in=600 cached=128 out=2",
    "text Okay",
    "text , let's check the weather for San Francisco, CA:",
    "tool 0 toolu_01T1x1fJ34qAmk2tNTrN7Up6 get_weather",
    "args 0 {\"location\":",
    "args 0  \"San",
    "args 0  Francisc",
    "args 0 o,",
    "args 0  CA\"",
    "args 0 , ",
    "args 0 \"unit\": \"fah",
    "args 0 renheit\"}",
    "finish tool_calls",
    "usage in=600 cached=128 out=89",
};

TEST(AnthropicStream, GoldenWhole) {
  const std::string sse = ReadTestdata("messages_stream.sse");
  Decoded r = Decode({sse});
  EXPECT_TRUE(r.feed.ok()) << r.feed.ToString();
  EXPECT_TRUE(r.finish.ok()) << r.finish.ToString();
  EXPECT_EQ(r.deltas, kGoldenDeltas);
  EXPECT_FALSE(r.decoder->error().has_value());
  EXPECT_EQ(r.decoder->usage().output_tokens, 89);
  EXPECT_EQ(r.decoder->usage().input_tokens, 600);
  EXPECT_TRUE(r.decoder->usage().reported);
}

TEST(AnthropicStream, GoldenAtEverySplitAndInRandomPieces) {
  const std::string sse = ReadTestdata("messages_stream.sse");
  const std::string_view v = sse;
  for (size_t i = 0; i <= v.size(); ++i) {
    Decoded r = Decode({v.substr(0, i), v.substr(i)});
    ASSERT_TRUE(r.finish.ok()) << i;
    ASSERT_EQ(r.deltas, kGoldenDeltas) << "split at " << i;
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    Decoded r = Decode(RandomPieces(v, &rng));
    ASSERT_TRUE(r.finish.ok()) << round;
    ASSERT_EQ(r.deltas, kGoldenDeltas) << round;
  }
}

TEST(AnthropicStream, CrLfLineEndings) {
  std::string sse = ReadTestdata("messages_stream.sse");
  std::string crlf;
  for (char c : sse) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  Decoded r = Decode({crlf});
  EXPECT_TRUE(r.finish.ok()) << r.finish.ToString();
  EXPECT_EQ(r.deltas, kGoldenDeltas);
}

TEST(AnthropicStream, OverloadedErrorEvent) {
  const std::string sse = ReadTestdata("messages_stream_error.sse");
  for (size_t i = 0; i <= sse.size(); i += 7) {
    Decoded r = Decode({std::string_view(sse).substr(0, i), std::string_view(sse).substr(i)});
    EXPECT_TRUE(r.feed.ok()) << r.feed.ToString();
    ASSERT_TRUE(r.decoder->error().has_value()) << i;
    const ProviderError& e = *r.decoder->error();
    EXPECT_EQ(e.type, "overloaded_error");
    EXPECT_EQ(e.message, "Overloaded");
    EXPECT_EQ(e.status, 503);
    EXPECT_TRUE(e.retryable);
    EXPECT_EQ(r.finish.code(), Code::kUnavailable);
    EXPECT_EQ(r.finish.message(), "anthropic stream error overloaded_error: Overloaded");
    const std::vector<std::string> want = {"start msg_01XFDUDYJgAACzvnptvVoYEL claude-sonnet-4-6",
                                           "usage in=25 cached=0 out=1"};
    EXPECT_EQ(r.deltas, want);
  }
}

TEST(AnthropicStream, ErrorTypesClassified) {
  const std::pair<const char*, int> cases[] = {
      {"rate_limit_error", 429}, {"api_error", 502}, {"invalid_request_error", 400}};
  for (const auto& [type, status] : cases) {
    Decoded r =
        Decode({std::string("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"") +
                type + "\",\"message\":\"m\"}}\n\n"});
    ASSERT_TRUE(r.decoder->error().has_value()) << type;
    EXPECT_EQ(r.decoder->error()->status, status) << type;
    EXPECT_EQ(r.decoder->error()->retryable, status != 400) << type;
  }
}

TEST(AnthropicStream, EndingBeforeMessageStopIsAnError) {
  const std::string sse = ReadTestdata("messages_stream.sse");
  const size_t stop = sse.find("event: message_stop");
  ASSERT_NE(stop, std::string::npos);
  Decoded r = Decode({std::string_view(sse).substr(0, stop)});
  EXPECT_TRUE(r.feed.ok());
  EXPECT_EQ(r.finish.code(), Code::kUnavailable);
  EXPECT_EQ(r.finish.message(), "anthropic stream ended before message_stop");
  // What was known is kept for billing a cut stream.
  EXPECT_EQ(r.decoder->usage().output_tokens, 89);
  // An unfinished last event is dropped, not decoded.
  Decoded cut = Decode({std::string_view(sse).substr(0, sse.size() - 3)});
  EXPECT_EQ(cut.finish.code(), Code::kUnavailable);
}

TEST(AnthropicStream, UnknownEventsAndBlocksAreSkipped) {
  Decoded r = Decode(
      {"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
       "\"model\":\"c\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
       ": a comment\n\n"
       "event: brand_new_event\ndata: this is not JSON\n\n"
       "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
       "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
       "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
       "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
       "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,"
       "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"now\",\"input\":{}}}"
       "\n\n"
       "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
       "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
       "\"usage\":{\"input_tokens\":null,\"output_tokens\":7,\"cache_read_input_tokens\":3}}\n\n"
       "data: {\"type\":\"message_stop\"}\n\n"});
  EXPECT_TRUE(r.feed.ok()) << r.feed.ToString();
  EXPECT_TRUE(r.finish.ok()) << r.finish.ToString();
  const std::vector<std::string> want = {
      "start m c",         "usage in=5 cached=0 out=1", "tool 0 toolu_1 now",
      "args 0 {}",  // a tool called without arguments still gets a JSON object
      "finish tool_calls", "usage in=8 cached=3 out=7"};
  EXPECT_EQ(r.deltas, want);
}

TEST(AnthropicStream, MalformedEventsAreErrorsNotCrashes) {
  const char* bad[] = {
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n",
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"tool_use\"}}\n\n",
      "event: error\ndata: {\"type\":\"error\"}\n\n",
      "data: [1,2]\n\n",
      "data: \xff\n\n",
  };
  for (const char* sse : bad) {
    Decoded r = Decode({sse, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"});
    EXPECT_EQ(r.feed.code(), Code::kUnavailable) << sse;
    EXPECT_EQ(r.finish.code(), Code::kUnavailable) << sse;  // sticky
  }
}

TEST(AnthropicStream, MoreToolCallsThanTheCapAreMalformed) {
  // Each tool_use block is looked up per delta: a stream of endless blocks must end as an
  // upstream failure at the cap, not grow and slow down without bound.
  auto tool_block = [](size_t i) {
    const std::string n = std::to_string(i);
    return "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":" + n +
           ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_" + n +
           "\",\"name\":\"f\",\"input\":{}}}\n\n";
  };
  const std::string start =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
      "\"model\":\"c\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n";
  const std::string stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  std::string at_cap = start;
  for (size_t i = 0; i < kMaxStreamToolCalls; ++i) at_cap += tool_block(i);

  Decoded r = Decode({at_cap, stop});
  EXPECT_TRUE(r.feed.ok()) << r.feed.ToString();
  EXPECT_TRUE(r.finish.ok()) << r.finish.ToString();
  EXPECT_EQ(r.deltas.back(), "tool " + std::to_string(kMaxStreamToolCalls - 1) + " toolu_" +
                                 std::to_string(kMaxStreamToolCalls - 1) + " f");

  r = Decode({at_cap, tool_block(kMaxStreamToolCalls), stop});
  EXPECT_EQ(r.feed.code(), Code::kUnavailable);
  EXPECT_NE(r.feed.message().find("too many tool calls"), std::string::npos) << r.feed.ToString();
  EXPECT_EQ(r.finish.code(), Code::kUnavailable);  // sticky
}

TEST(AnthropicPassthrough, ForwardsBytesExactlyAndReadsUsage) {
  const std::string sse = ReadTestdata("messages_stream.sse");
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    PassthroughStream relay;
    std::string out;
    for (std::string_view piece : RandomPieces(sse, &rng)) {
      relay.Feed(piece, &out);
      // Whole events only, so the node can hold back or drop the preamble.
      ASSERT_TRUE(out.empty() || out.substr(out.size() - 2) == "\n\n");
    }
    relay.Finish(&out);
    ASSERT_EQ(out, sse);
    EXPECT_TRUE(relay.saw_start());
    EXPECT_TRUE(relay.saw_stop());
    EXPECT_TRUE(relay.content_started());
    EXPECT_FALSE(relay.error().has_value());
    EXPECT_FALSE(relay.failed());
    EXPECT_EQ(relay.usage().input_tokens, 600);
    EXPECT_EQ(relay.usage().cached_input_tokens, 128);
    EXPECT_EQ(relay.usage().output_tokens, 89);
    EXPECT_TRUE(relay.usage().reported);
  }
}

TEST(AnthropicPassthrough, ErrorBeforeContent) {
  const std::string sse = ReadTestdata("messages_stream_error.sse");
  PassthroughStream relay;
  std::string out;
  const size_t error_at = sse.find("event: error");
  relay.Feed(std::string_view(sse).substr(0, error_at), &out);
  EXPECT_TRUE(relay.saw_start());
  EXPECT_FALSE(relay.content_started());
  EXPECT_FALSE(relay.error().has_value());
  EXPECT_EQ(relay.usage().input_tokens, 25);
  EXPECT_EQ(relay.usage().output_tokens, 1);  // provisional, from message_start
  relay.Feed(std::string_view(sse).substr(error_at), &out);
  EXPECT_EQ(out, sse);
  ASSERT_TRUE(relay.error().has_value());
  EXPECT_EQ(relay.error()->type, "overloaded_error");
  EXPECT_TRUE(relay.error()->retryable);
  EXPECT_FALSE(relay.content_started());
  EXPECT_FALSE(relay.saw_stop());
}

TEST(AnthropicPassthrough, UnreadableEventsStillForwarded) {
  PassthroughStream relay;
  std::string out;
  const std::string in =
      "event: message_start\ndata: {broken\n\nevent: message_delta\ndata: {\"usage\":7}\n\n";
  relay.Feed(in, &out);
  EXPECT_EQ(out, in);
  EXPECT_FALSE(relay.usage().reported);
}

TEST(AnthropicRewriteModel, ReplacesOnlyTopLevelModels) {
  Result<std::string> r =
      RewriteModel(R"( {"model" : "my-alias", "max_tokens":10,"metadata":{"model":"keep"},)"
                   R"("messages":[{"role":"user","content":"Hi"}]} )",
                   "claude-\"sonnet\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, R"( {"model" : "claude-\"sonnet\"", "max_tokens":10,"metadata":{"model":"keep"},)"
                R"("messages":[{"role":"user","content":"Hi"}]} )");
  // Every duplicate is replaced, whichever one the upstream would keep.
  r = RewriteModel(R"({"model":"a","mod\u0065l":"b"})", "c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"model":"c","mod\u0065l":"c"})");
}

TEST(AnthropicRewriteModel, RefusesBadBodies) {
  for (std::string_view body : {"", "[]", "{", R"({"max_tokens":1})", R"({"model":5})",
                                R"({"model":"a"} x)", "{\"model\":\"\xff\"}"}) {
    Result<std::string> r = RewriteModel(body, "m");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body;
  }
}

TEST(AnthropicPassthrough, ExtractUsageAndErrorEvent) {
  std::optional<Usage> u = ExtractUsage(ReadTestdata("messages_response.json"));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 2620);
  EXPECT_EQ(u->cached_input_tokens, 2048);
  EXPECT_EQ(u->output_tokens, 89);
  EXPECT_FALSE(ExtractUsage("{}").has_value());
  EXPECT_FALSE(ExtractUsage("{\"usage\":").has_value());
  EXPECT_EQ(StreamErrorEvent("overloaded_error", "Upstream \"busy\""),
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"Upstream \\\"busy\\\"\"}}\n\n");
}

}  // namespace
}  // namespace edge::providers::anthropic
