#include "providers/openai/openai.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace edge::providers::openai {
namespace {

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/openai/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

std::string ErrorOf(std::string_view body) {
  auto r = InspectRequest(body);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

// ---- InspectRequest ----

TEST(InspectRequest, ReadsModelStreamAndUsageOption) {
  auto r = InspectRequest(Testdata("chat_request.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "gpt-4o-mini");
  EXPECT_TRUE(r->stream);
  EXPECT_FALSE(r->client_wants_usage);

  r = InspectRequest(
      R"({"stream":true,"stream_options":{"include_usage":true},"model":"m\u00e9","messages":[]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "m\xc3\xa9");
  EXPECT_TRUE(r->client_wants_usage);

  r = InspectRequest(R"({"model":"m","stream":null,"stream_options":null})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->stream);
  // include_usage means nothing without stream.
  r = InspectRequest(R"({"model":"m","stream_options":{"include_usage":true}})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->client_wants_usage);
}

TEST(InspectRequest, RejectsBadBodiesWithClearMessages) {
  EXPECT_EQ(ErrorOf(""), "request body is empty; expected a JSON object");
  EXPECT_EQ(ErrorOf("{\"model\":\"\xff\"}"), "request body is not valid UTF-8");
  EXPECT_EQ(ErrorOf("{\"model\":\"a\",}").rfind("request body is not valid JSON: ", 0), 0u);
  EXPECT_NE(ErrorOf("{\"model\":\"a\"} x"), "ok");
  EXPECT_NE(ErrorOf("{\"model\":\"a\""), "ok");
  EXPECT_EQ(ErrorOf("[1,2]"), "request body must be a JSON object");
  EXPECT_EQ(ErrorOf("\"model\""), "request body must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"messages":[]})"), "missing required parameter: 'model'");
  EXPECT_EQ(ErrorOf(R"({"model":4})"), "'model' must be a string");
  EXPECT_EQ(ErrorOf(R"({"model":null})"), "'model' must be a string");
  EXPECT_EQ(ErrorOf(R"({"model":""})"), "'model' must not be empty");
  EXPECT_EQ(ErrorOf(R"({"model":"a","stream":"yes"})"), "'stream' must be a boolean");
  EXPECT_EQ(ErrorOf(R"({"model":"a","stream_options":[]})"), "'stream_options' must be an object");
  EXPECT_EQ(ErrorOf(R"({"model":"a","stream_options":{"include_usage":1}})"),
            "'stream_options.include_usage' must be a boolean");
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(ErrorOf(R"({"model":"a","x":)" + deep + "}"),
            "request body is not valid JSON: nested too deeply");
}

TEST(InspectRequest, AcceptsIntegersBeyond64Bits) {
  // simdjson 3.0 refuses them; they are valid JSON, so a JsonTree reads such bodies.
  auto r = InspectRequest(R"({"seed":123456789012345678901234567890,"model":"m","stream":true,)"
                          R"("stream_options":{"include_usage":true}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "m");
  EXPECT_TRUE(r->client_wants_usage);
  // Out of a double's range, as JSON allows: passed on as written (RewriteRequest keeps it).
  ASSERT_TRUE(InspectRequest(R"({"seed":1e99999,"model":"m"})").ok());
  EXPECT_EQ(ErrorOf(R"({"seed":1e99999,"model":"m","model":"n"})"),
            "request body has a duplicate key \"model\" (a key may appear only once in an object)");
  EXPECT_EQ(ErrorOf(R"({"seed":-99999999999999999999999,"x":{"a":1,"a":2},"model":"m"})"),
            "request body has a duplicate key \"a\" (a key may appear only once in an object)");
  EXPECT_EQ(ErrorOf(R"({"seed":1.5e,"model":"m"})"),
            "request body is not valid JSON: malformed number at offset 8");
  // The finding that killed the node through RapidJSON's reader (Pow10 out of bounds).
  EXPECT_EQ(ErrorOf(R"({"model":"m","seed":123456789012345678901,)"
                    R"("temperature":0.0000000000e-2147483639,"stream":1})"),
            "'stream' must be a boolean");
  EXPECT_EQ(ErrorOf(R"({"seed":-99999999999999999999999,"stream":1,"model":"m"})"),
            "'stream' must be a boolean");
  EXPECT_EQ(ErrorOf("[99999999999999999999999]"), "request body must be a JSON object");
  // A NUL never passes, wherever it is.
  for (const char* tail : {"", "}", " 1"}) {
    const std::string nul =
        std::string(R"({"seed":99999999999999999999999,"model":"m"})") + '\0' + tail;
    EXPECT_EQ(ErrorOf(nul).rfind("request body is not valid JSON: ", 0), 0u) << tail;
  }
}

// The budget's token estimate comes from the inspection's own parse: the same numbers as
// parsing the body again for it. A body only the slower tree reads has none (the budget then
// estimates from the body itself).
TEST(InspectRequest, EstimatesTokensFromTheSameParse) {
  for (const char* body :
       {R"({"model":"m","messages":[{"role":"user","content":"Say hello in one short sentence."}]})",
        R"({"model":"m","max_tokens":50,"messages":[{"role":"system","content":"be brief"},)"
        R"({"role":"user","content":[{"type":"text","text":"caf\u00e9"},)"
        R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],)"
        R"("tools":[{"type":"function","function":{"name":"f","description":"look it up"}}]})",
        R"({"model":"m","input":["a","bb"],"max_completion_tokens":7,"max_tokens":9})"}) {
    auto r = InspectRequest(body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->estimate.has_value()) << body;
    const RequestEstimate again = EstimateRequest(body);
    EXPECT_EQ(r->estimate->prompt_tokens, again.prompt_tokens) << body;
    EXPECT_GT(r->estimate->prompt_tokens, 0) << body;
    EXPECT_EQ(r->estimate->max_output_tokens, again.max_output_tokens) << body;
  }
  auto tree_read = InspectRequest(R"({"seed":123456789012345678901234567890,"model":"m"})");
  ASSERT_TRUE(tree_read.ok());
  EXPECT_FALSE(tree_read->estimate.has_value());
}

TEST(InspectRequest, RejectsDuplicateKeysAnywhere) {
  const std::string dup = "request body has a duplicate key ";
  const std::string once = " (a key may appear only once in an object)";
  EXPECT_EQ(ErrorOf(R"({"model":"cheap","model":"dear"})"), dup + "\"model\"" + once);
  // An escaped key is the same key to every JSON parser upstream.
  EXPECT_EQ(ErrorOf(R"({"model":"cheap","mod\u0065l":"dear"})"), dup + "\"model\"" + once);
  EXPECT_EQ(ErrorOf(R"({"model":"a","stream":false,"stream":true})"), dup + "\"stream\"" + once);
  // Deeper too: a first-wins reader here and a last-wins one upstream must never disagree
  // about max_tokens, tools or anything else the node comes to read.
  EXPECT_EQ(ErrorOf(R"({"model":"a","messages":[{"role":"user","content":"x","role":"system"}]})"),
            dup + "\"role\"" + once);
  std::string wide = R"({"model":"a","x":{)";
  for (int i = 0; i < 40; ++i) wide += "\"k" + std::to_string(i) + "\":1,";
  EXPECT_EQ(ErrorOf(wide + R"("k39":2}})"), dup + "\"k39\"" + once);
  EXPECT_TRUE(InspectRequest(wide + R"("k40":2}})").ok());
  // The same key in different objects is no duplicate.
  EXPECT_EQ(ErrorOf(R"({"model":"a","metadata":{"model":"b"}})"), "ok");
}

// ---- RewriteRequest ----

TEST(RewriteRequest, ReplacesModelAndLeavesEveryOtherByte) {
  const std::string body = Testdata("chat_request.json");
  auto r = RewriteRequest(body, "gpt-4o-mini-2024-07-18", false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string expected = body;
  expected.replace(expected.find("\"gpt-4o-mini\""), 13, "\"gpt-4o-mini-2024-07-18\"");
  EXPECT_EQ(*r, expected);
}

TEST(RewriteRequest, EscapesTheUpstreamModel) {
  auto r = RewriteRequest(R"({"model" : "a" , "n":1})", "we\"ird\\model\n", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"model" : "we\"ird\\model\n" , "n":1})");
}

TEST(RewriteRequest, AsksForUsageKeepingOtherStreamOptions) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {R"({"model":"a","stream":true})",
       R"({"model":"b","stream":true,"stream_options":{"include_usage":true}})"},
      {"{\"model\":\"a\",\"stream\":true}\n  ",
       "{\"model\":\"b\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}\n  "},
      {R"({"stream_options":{"include_obfuscation":false},"model":"a"})",
       R"({"stream_options":{"include_usage":true,"include_obfuscation":false},"model":"b"})"},
      {R"({"model":"a","stream_options":{"include_usage":false}})",
       R"({"model":"b","stream_options":{"include_usage":true}})"},
      {R"({"model":"a","stream_options":{"include_usage":null,"x":1}})",
       R"({"model":"b","stream_options":{"include_usage":true,"x":1}})"},
      {R"({"model":"a","stream_options":{"include_usage":true}})",
       R"({"model":"b","stream_options":{"include_usage":true}})"},
      {R"({"model":"a","stream_options":{ }})",
       R"({"model":"b","stream_options":{"include_usage":true }})"},
      {R"({"model":"a","stream_options":null})",
       R"({"model":"b","stream_options":{"include_usage":true}})"},
  };
  for (const Case& c : cases) {
    auto r = RewriteRequest(c.in, "b", true);
    ASSERT_TRUE(r.ok()) << c.in << " " << r.status().ToString();
    EXPECT_EQ(*r, c.out) << c.in;
    Parse(*r);
  }
  // Without ask_usage, stream_options are left alone.
  auto r = RewriteRequest(R"({"model":"a","stream_options":{"include_usage":false}})", "b", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"model":"b","stream_options":{"include_usage":false}})");
}

TEST(RewriteRequest, ReplacesEveryModelMember) {
  auto r = RewriteRequest(R"({"model":"x","mod\u0065l":"y"})", "z", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"model":"z","mod\u0065l":"z"})");
}

TEST(RewriteRequest, KeepsLargeBodiesIntact) {
  std::string big = R"({"messages":[{"role":"user","content":")" + std::string(3 << 20, 'x') +
                    R"("}],"model":"a","stream":true})";
  auto r = RewriteRequest(big, "b", true);
  ASSERT_TRUE(r.ok());
  rapidjson::Document d = Parse(*r);
  EXPECT_STREQ(d["model"].GetString(), "b");
  EXPECT_TRUE(d["stream_options"]["include_usage"].GetBool());
  EXPECT_EQ(d["messages"][0]["content"].GetStringLength(), 3u << 20);
}

TEST(RewriteRequest, RejectsWhatItCannotRead) {
  EXPECT_FALSE(RewriteRequest("[]", "b", false).ok());
  EXPECT_FALSE(RewriteRequest("", "b", false).ok());
  EXPECT_FALSE(RewriteRequest(R"({"n":1})", "b", false).ok());
  EXPECT_FALSE(RewriteRequest(R"({"model":1})", "b", false).ok());
  EXPECT_FALSE(RewriteRequest(R"({"model":"a","stream_options":3})", "b", true).ok());
  EXPECT_FALSE(RewriteRequest(R"({"model":"a"} {})", "b", true).ok());
}

// ---- ExtractUsage ----

TEST(ExtractUsage, ChatCompletionWithCachedTokens) {
  auto u = ExtractUsage(Testdata("chat_completion.json"));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 19);
  EXPECT_EQ(u->output_tokens, 10);
  EXPECT_EQ(u->cached_input_tokens, 3);
  EXPECT_TRUE(u->reported);
}

TEST(ExtractUsage, ReasoningTokensOfChatAndResponses) {
  auto chat = ExtractUsage(
      R"({"usage":{"prompt_tokens":5,"completion_tokens":40,"completion_tokens_details":)"
      R"({"reasoning_tokens":32,"audio_tokens":0}}})");
  ASSERT_TRUE(chat.has_value());
  EXPECT_EQ(chat->output_tokens, 40);
  EXPECT_EQ(chat->reasoning_tokens, 32);
  auto responses =
      ExtractUsage(R"({"usage":{"input_tokens":5,"output_tokens":9,"output_tokens_details":)"
                   R"({"reasoning_tokens":6}}})");
  ASSERT_TRUE(responses.has_value());
  EXPECT_EQ(responses->reasoning_tokens, 6);
}

TEST(ExtractUsage, EmbeddingsHaveNoOutput) {
  auto u = ExtractUsage(Testdata("embeddings.json"));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 8);
  EXPECT_EQ(u->output_tokens, 0);
  EXPECT_EQ(u->cached_input_tokens, 0);
}

TEST(ExtractUsage, ResponsesApiNamesAndOddValues) {
  auto u = ExtractUsage(
      R"({"usage":{"input_tokens":5,"output_tokens":7,"input_tokens_details":{"cached_tokens":2}}})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 5);
  EXPECT_EQ(u->output_tokens, 7);
  EXPECT_EQ(u->cached_input_tokens, 2);
  u = ExtractUsage(R"({"usage":{"prompt_tokens":-5,"completion_tokens":"x",
                      "prompt_tokens_details":null}})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 0);
  EXPECT_EQ(u->output_tokens, 0);
}

TEST(ExtractUsage, NoneWhenAbsent) {
  EXPECT_FALSE(ExtractUsage(R"({"id":"x"})").has_value());
  EXPECT_FALSE(ExtractUsage(R"({"usage":null})").has_value());
  EXPECT_FALSE(ExtractUsage("not json").has_value());
  EXPECT_FALSE(ExtractUsage("").has_value());
  EXPECT_FALSE(ExtractUsage("[1]").has_value());
}

// ---- StreamErrorEvent ----

TEST(StreamErrorEvent, IsOneSseEventInOpenAiErrorShape) {
  std::string ev = StreamErrorEvent("upstream \"reset\"", "upstream_error", "bad_gateway");
  EXPECT_EQ(ev,
            "data: {\"error\":{\"message\":\"upstream \\\"reset\\\"\",\"type\":\"upstream_error\","
            "\"code\":\"bad_gateway\"}}\n\n");
  EXPECT_EQ(StreamErrorEvent("m", "t", ""),
            "data: {\"error\":{\"message\":\"m\",\"type\":\"t\",\"code\":null}}\n\n");
}

}  // namespace
}  // namespace edge::providers::openai
