// AnthropicMessagesApi: Messages requests to the canonical body, answers and streams in
// Anthropic's documented shape (golden files in testdata/), errors in Anthropic's shape.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "providers/api/client_api.h"
#include "providers/api/test_util.h"

namespace edge::providers::api {
namespace {

using namespace apitest;  // NOLINT: the helpers of test_util.h

const ClientApi& Api() { return AnthropicMessagesApi(); }

std::string ErrorOf(const std::string& body) {
  auto r = Api().ToCanonical(body);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(AnthropicToCanonical, MultiTurnToolsImagesSystem) {
  auto r = Api().ToCanonical(Testdata("anthropic_request.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "generate");
  EXPECT_TRUE(r->stream);
  EXPECT_FALSE(r->client_wants_usage);
  EXPECT_TRUE(JsonEq(r->openai_body, Testdata("anthropic_request_canonical.json")));
}

TEST(AnthropicToCanonical, MinimalRequest) {
  auto r = Api().ToCanonical(
      R"({"model":"m","max_tokens":5,"system":"Be terse.","tool_choice":{"type":"auto"},)"
      R"("messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->stream);
  // No tools: tool_choice is dropped, as OpenAI refuses it alone.
  EXPECT_TRUE(JsonEq(r->openai_body, R"({"model":"m","messages":[
      {"role":"system","content":"Be terse."},{"role":"user","content":"hi"}],
      "max_tokens":5})"));
}

TEST(AnthropicToCanonical, ToolChoiceForms) {
  const std::string base =
      R"({"model":"m","max_tokens":5,"messages":[],"tools":[{"name":"t","input_schema":{}}],)";
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"auto"})", R"("auto")"},
      {R"({"type":"none"})", R"("none")"},
      {R"({"type":"tool","name":"t"})", R"({"type":"function","function":{"name":"t"}})"}};
  for (const auto& [in, out] : cases) {
    auto r = Api().ToCanonical(base + R"("tool_choice":)" + in + "}");
    ASSERT_TRUE(r.ok()) << in << ": " << r.status().ToString();
    rapidjson::Document d, want;
    d.Parse(r->openai_body.c_str());
    want.Parse(out);
    EXPECT_TRUE(d["tool_choice"] == want) << in;
  }
}

TEST(AnthropicToCanonical, MalformedRequestsNameTheProblem) {
  EXPECT_EQ(ErrorOf(""), "request body is empty; expected a JSON object");
  EXPECT_EQ(ErrorOf("[1]"), "request body must be a JSON object");
  EXPECT_EQ(ErrorOf("{\"model\":\"m\"").rfind("request body is not valid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf("{\"model\":\"\xc3\x28\"}"), "request body is not valid UTF-8");
  EXPECT_EQ(ErrorOf(std::string(200, '[') + std::string(200, ']')),
            "request body is not valid JSON: nested too deeply at offset 128");
  EXPECT_EQ(ErrorOf(R"({"model":"m","temperature":0.5,"temperature":2})"),
            "request body has a duplicate key \"temperature\" (a key may appear only once in an "
            "object)");
  EXPECT_EQ(ErrorOf(R"({"max_tokens":1,"messages":[]})"), "missing required parameter: 'model'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","messages":[]})"), "missing required parameter: 'max_tokens'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":0,"messages":[]})"),
            "'max_tokens' must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1})"), "missing required parameter: 'messages'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]})"),
            "'messages[0].role' must be \"user\" or \"assistant\"");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
                {"type":"image","source":{"type":"base64","data":"x"}}]}]})"),
            "missing required parameter: 'messages[0].content[0].source.media_type'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
                {"type":"document","source":{"type":"base64"}}]}]})"),
            "content block type 'document' (messages[0].content[0]) cannot be translated for "
            "this deployment's provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[],
                "tools":[{"type":"web_search_20250305","name":"web_search"}]})"),
            "tool type 'web_search_20250305' (tools[0]) cannot be translated for this "
            "deployment's provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"t"}]})"),
            "missing required parameter: 'tools[0].input_schema'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[],"stream":"yes"})"),
            "'stream' must be a boolean");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[],"stop_sequences":[1]})"),
            "'stop_sequences[0]' must be a string");
  EXPECT_EQ(ErrorOf(R"({"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"x"}})"),
            "'tool_choice.type' must be one of auto, any, tool, none");
  EXPECT_EQ(ErrorOf(std::string("{\"model\":\"m\"}\0{}", 16)),
            "request body is not valid JSON: unexpected content after the JSON value at offset 13");
}

TEST(AnthropicEncodeResponse, TextAndToolUse) {
  ChatResponse r;
  r.id = "chatcmpl-abc";
  r.text = "Checking.";
  r.tool_calls = {{"call_1", "get_weather", R"({"city":"Paris","n":[1,2.5]})"},
                  {"call_2", "get_time", ""},
                  {"call_3", "broken", R"({"cut":)"}};
  r.finish_reason = "tool_calls";
  r.usage = MakeUsage(100, 20, 30);
  EXPECT_TRUE(JsonEq(Api().EncodeResponse(r, "generate"), R"({
    "id": "msg_chatcmpl-abc", "type": "message", "role": "assistant", "model": "generate",
    "content": [
      {"type": "text", "text": "Checking."},
      {"type": "tool_use", "id": "call_1", "name": "get_weather",
       "input": {"city": "Paris", "n": [1, 2.5]}},
      {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
      {"type": "tool_use", "id": "call_3", "name": "broken", "input": {}}],
    "stop_reason": "tool_use", "stop_sequence": null,
    "usage": {"input_tokens": 70, "output_tokens": 20, "cache_creation_input_tokens": 0,
              "cache_read_input_tokens": 30}})"));
}

TEST(AnthropicEncodeResponse, StopReasons) {
  const std::pair<const char*, const char*> cases[] = {{"stop", "end_turn"},
                                                       {"length", "max_tokens"},
                                                       {"tool_calls", "tool_use"},
                                                       {"content_filter", "refusal"},
                                                       {"", "end_turn"}};
  for (const auto& [finish, stop] : cases) {
    ChatResponse r;
    r.id = "msg_1";
    r.text = "x";
    r.finish_reason = finish;
    rapidjson::Document d;
    d.Parse(Api().EncodeResponse(r, "m").c_str());
    EXPECT_STREQ(d["stop_reason"].GetString(), stop) << finish;
    EXPECT_STREQ(d["id"].GetString(), "msg_1");
  }
}

// What Anthropic's SDK (MessageStream) rebuilds from the events: blocks by index, deltas
// applied to the block their index names, stop reason and usage from message_delta.
struct Rebuilt {
  rapidjson::Document message;
  std::vector<std::string> tool_json;  // per block: the input_json_delta pieces joined
  bool stopped = false;
};

void Rebuild(const std::string& stream, Rebuilt* out) {
  auto& msg = out->message;
  for (const Event& e : ReadEvents(stream)) {
    rapidjson::Document d;
    d.Parse(e.data.c_str());
    ASSERT_FALSE(d.HasParseError()) << e.data;
    ASSERT_EQ(e.name, d["type"].GetString());
    ASSERT_FALSE(out->stopped) << "event after message_stop";
    const std::string type = d["type"].GetString();
    if (type == "message_start") {
      ASSERT_FALSE(msg.IsObject()) << "second message_start";
      msg.CopyFrom(d["message"], msg.GetAllocator());
      continue;
    }
    ASSERT_TRUE(msg.IsObject()) << type << " before message_start";
    auto& content = msg["content"];
    if (type == "content_block_start") {
      ASSERT_EQ(d["index"].GetUint(), content.Size()) << "block indices must be sequential";
      content.PushBack(rapidjson::Value(d["content_block"], msg.GetAllocator()),
                       msg.GetAllocator());
      out->tool_json.emplace_back();
    } else if (type == "content_block_delta") {
      const unsigned i = d["index"].GetUint();
      ASSERT_LT(i, content.Size());
      const std::string delta = d["delta"]["type"].GetString();
      if (delta == "text_delta") {
        std::string text =
            std::string(content[i]["text"].GetString()) + d["delta"]["text"].GetString();
        content[i]["text"].SetString(text.c_str(), text.size(), msg.GetAllocator());
      } else {
        ASSERT_EQ(delta, "input_json_delta");
        out->tool_json[i] += d["delta"]["partial_json"].GetString();
      }
    } else if (type == "message_delta") {
      msg["stop_reason"].CopyFrom(d["delta"]["stop_reason"], msg.GetAllocator());
      msg["usage"].CopyFrom(d["usage"], msg.GetAllocator());
    } else if (type == "message_stop") {
      out->stopped = true;
    } else {
      ASSERT_EQ(type, "content_block_stop");
    }
  }
}

TEST(AnthropicStream, TextFromAnOpenAiShapedUpstream) {
  // An OpenAI upstream reports usage only at the end: message_start has input_tokens 0 and
  // message_delta has the real input count.
  const std::string out =
      EncodeStream(Api(), StreamRequest("generate"),
                   {Start("chatcmpl-Z"), Text("Hello"), Text(", \"world\""), Finish("stop")},
                   MakeUsage(25, 12, 5));
  ExpectGolden("anthropic_stream_text.sse", out);
  Rebuilt r;
  Rebuild(out, &r);
  EXPECT_TRUE(r.stopped);
  EXPECT_TRUE(JsonEq(Compact(r.message), R"({
    "id": "msg_chatcmpl-Z", "type": "message", "role": "assistant", "model": "generate",
    "content": [{"type": "text", "text": "Hello, \"world\""}],
    "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 20, "output_tokens": 12, "cache_creation_input_tokens": 0,
              "cache_read_input_tokens": 5}})"));
}

TEST(AnthropicStream, TextThenToolCallsFromAnAnthropicUpstream) {
  // Anthropic reports input tokens up front; message_start waits for them.
  const std::string out = EncodeStream(
      Api(), StreamRequest("generate"),
      {Start("msg_01"), UsageDelta(MakeUsage(472, 1)), Text("Let me look."),
       ToolStart(0, "toolu_A", "get_weather"), ToolArgs(0, "{\"city\": "),
       ToolArgs(0, "\"Paris\"}"), ToolStart(1, "toolu_B", "get_time"), Finish("tool_calls")},
      MakeUsage(472, 89));
  ExpectGolden("anthropic_stream_tools.sse", out);
  Rebuilt r;
  Rebuild(out, &r);
  ASSERT_TRUE(r.stopped);
  EXPECT_EQ(r.message["usage"]["input_tokens"].GetInt(), 472);
  EXPECT_STREQ(r.message["stop_reason"].GetString(), "tool_use");
  const auto& content = r.message["content"];
  ASSERT_EQ(content.Size(), 3u);
  EXPECT_STREQ(content[1]["id"].GetString(), "toolu_A");
  EXPECT_EQ(r.tool_json[1], "{\"city\": \"Paris\"}");
  EXPECT_STREQ(content[2]["name"].GetString(), "get_time");
  EXPECT_EQ(r.tool_json[2], "");
}

TEST(AnthropicStream, ToolCallFirstTakesIndexZero) {
  const std::string out =
      EncodeStream(Api(), StreamRequest("generate"),
                   {ToolStart(0, "", "lookup"), ToolArgs(0, "{}"), Text("after")}, MakeUsage(3, 4));
  Rebuilt r;
  Rebuild(out, &r);
  ASSERT_TRUE(r.stopped);
  const auto& content = r.message["content"];
  ASSERT_EQ(content.Size(), 2u);
  EXPECT_STREQ(content[0]["type"].GetString(), "tool_use");
  EXPECT_STREQ(content[0]["id"].GetString(), "toolu_msg_edge_0");  // made up: none was given
  EXPECT_STREQ(content[1]["text"].GetString(), "after");
  EXPECT_STREQ(r.message["stop_reason"].GetString(), "tool_use");  // no finish: from content
}

TEST(AnthropicStream, FailIsAnErrorEvent) {
  auto encoder = Api().NewStreamEncoder(StreamRequest("generate"));
  std::string out;
  encoder->Encode(Text("partial"), &out);
  out.clear();
  encoder->Fail("upstream \"reset\"", &out);
  EXPECT_EQ(out,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
            "\"message\":\"upstream \\\"reset\\\"\"}}\n\n");
}

TEST(AnthropicErrorBody, AnthropicShapeWithTypePerStatus) {
  EXPECT_TRUE(JsonEq(Api().ErrorBody(401, "unknown API key", "invalid_api_key"),
                     R"({"type":"error","error":{"type":"authentication_error",
                         "message":"unknown API key"}})"));
  const std::pair<int, const char*> types[] = {{400, "invalid_request_error"},
                                               {403, "permission_error"},
                                               {404, "not_found_error"},
                                               {413, "request_too_large"},
                                               {429, "rate_limit_error"},
                                               {500, "api_error"},
                                               {502, "api_error"},
                                               {503, "overloaded_error"},
                                               {504, "api_error"},
                                               {529, "overloaded_error"}};
  for (const auto& [status, type] : types) {
    rapidjson::Document d;
    d.Parse(Api().ErrorBody(status, "m", "").c_str());
    EXPECT_STREQ(d["error"]["type"].GetString(), type) << status;
  }
}

}  // namespace
}  // namespace edge::providers::api
