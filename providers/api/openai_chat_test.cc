// OpenAiChatApi: requests pass unchanged; answers and streams in OpenAI's documented shape
// (golden streams in testdata/, checked against OpenAI's chunk format).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "providers/api/client_api.h"
#include "providers/api/test_util.h"

namespace edge::providers::api {
namespace {

using namespace apitest;  // NOLINT: the helpers of test_util.h

const ClientApi& Api() { return OpenAiChatApi(); }

TEST(OpenAiChatToCanonical, KeepsTheBodyAndReadsRouting) {
  const std::string body =
      R"({"model":"fast","stream":true,"stream_options":{"include_usage":true},)"
      R"("messages":[{"role":"user","content":"hi"}]})";
  auto r = Api().ToCanonical(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "fast");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->client_wants_usage);
  EXPECT_EQ(r->openai_body, body);
}

TEST(OpenAiChatToCanonical, MalformedBodiesAreInvalidArgument) {
  for (const char* body : {"", "[]", "{", R"({"messages":[]})", R"({"model":7})",
                           R"({"model":"m","stream":"yes"})", "{\"model\":\"\xff\"}"}) {
    auto r = Api().ToCanonical(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body;
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(OpenAiChatEncodeResponse, TextAnswer) {
  ChatResponse r;
  r.id = "msg_01XFDUDYJgAACzvnptvVoYEL";  // e.g. from Anthropic
  r.created = 1718345014;
  r.model = "claude-sonnet-4-6";
  r.text = "Hello! \"quoted\" é";
  r.finish_reason = "length";
  r.usage = MakeUsage(19, 10, 3);
  r.usage.reasoning_tokens = 4;  // of the 10
  EXPECT_TRUE(JsonEq(Api().EncodeResponse(r, "fast"), R"({
    "id": "chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL", "object": "chat.completion",
    "created": 1718345014, "model": "fast",
    "choices": [{"index": 0,
                 "message": {"role": "assistant", "content": "Hello! \"quoted\" é", "refusal": null},
                 "logprobs": null, "finish_reason": "length"}],
    "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
              "prompt_tokens_details": {"cached_tokens": 3},
              "completion_tokens_details": {"reasoning_tokens": 4}}})"));
}

TEST(OpenAiChatEncodeResponse, ToolCallsOnlyHaveNullContent) {
  ChatResponse r;
  r.id = "chatcmpl-9";
  r.created = 1;
  r.tool_calls = {{"toolu_01", "get_weather", R"({"city":"Paris"})"}, {"", "get_time", ""}};
  r.finish_reason = "tool_calls";
  r.usage = MakeUsage(5, 7);
  EXPECT_TRUE(JsonEq(Api().EncodeResponse(r, "fast"), R"({
    "id": "chatcmpl-9", "object": "chat.completion", "created": 1, "model": "fast",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
       "tool_calls": [
         {"id": "toolu_01", "type": "function",
          "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
         {"id": "call_chatcmpl-9_1", "type": "function",
          "function": {"name": "get_time", "arguments": "{}"}}]},
       "logprobs": null, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12,
              "prompt_tokens_details": {"cached_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0}}})"));
}

TEST(OpenAiChatStream, TextWithUsage) {
  const std::string out = EncodeStream(Api(), StreamRequest("fast", /*wants_usage=*/true),
                                       {Start("chatcmpl-A1"), UsageDelta(MakeUsage(1, 0)),
                                        Text("Hel"), Text(""), Text("lo \"you\""), Finish("stop")},
                                       MakeUsage(19, 2, 4));
  ExpectGolden("chat_stream_text_usage.sse", out);
  // The usage chunk comes last before [DONE], with the numbers End() was given.
  auto events = ReadEvents(out);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  rapidjson::Document usage;
  usage.Parse(events[events.size() - 2].data.c_str());
  EXPECT_TRUE(usage["choices"].Empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"].GetInt(), 19);
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"].GetInt(), 4);
}

TEST(OpenAiChatStream, ToolCallsWithoutUsage) {
  const std::string out = EncodeStream(
      Api(), StreamRequest("fast"),
      {Start("chatcmpl-B2"), Text("Let me check."), ToolStart(0, "call_X", "get_weather"),
       ToolArgs(0, "{\"city\":"), ToolArgs(0, "\"Paris\"}"), ToolStart(1, "", "get_time"),
       ToolArgs(1, "{}"), Finish("tool_calls")},
      MakeUsage(30, 12));
  ExpectGolden("chat_stream_tools.sse", out);
  EXPECT_EQ(out.find("usage"), std::string::npos);  // not asked for: no usage anywhere
}

TEST(OpenAiChatStream, EndWithoutFinishStillFinishes) {
  const std::string out = EncodeStream(Api(), StreamRequest("fast"), {Text("x")}, MakeUsage(1, 1));
  auto events = ReadEvents(out);
  ASSERT_EQ(events.size(), 4u);  // role, text, finish, [DONE]
  rapidjson::Document finish;
  finish.Parse(events[2].data.c_str());
  EXPECT_STREQ(finish["choices"][0]["finish_reason"].GetString(), "stop");
  EXPECT_STREQ(finish["id"].GetString(), "chatcmpl-edge");
}

TEST(OpenAiChatStream, ACallWithoutArgumentsGetsAnEmptyObject) {
  const std::string out =
      EncodeStream(Api(), StreamRequest("fast"),
                   {ToolStart(0, "call_1", "now"), Finish("tool_calls")}, MakeUsage(1, 1));
  auto events = ReadEvents(out);
  ASSERT_EQ(events.size(), 5u);  // role, call start, "{}", finish, [DONE]
  rapidjson::Document args;
  args.Parse(events[2].data.c_str());
  EXPECT_STREQ(args["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].GetString(),
               "{}");
}

TEST(OpenAiChatStream, FailIsAnErrorEvent) {
  auto encoder = Api().NewStreamEncoder(StreamRequest("fast"));
  std::string out;
  encoder->Encode(Text("partial"), &out);
  out.clear();
  encoder->Fail("upstream reset", &out);
  EXPECT_EQ(out,
            "data: {\"error\":{\"message\":\"upstream reset\",\"type\":\"api_error\","
            "\"code\":null}}\n\n");
}

TEST(OpenAiChatErrorBody, OpenAiShapeWithTypePerStatus) {
  EXPECT_TRUE(JsonEq(Api().ErrorBody(404, "unknown model 'x'", "model_not_found"),
                     R"({"error":{"message":"unknown model 'x'","type":"not_found_error",
                         "code":"model_not_found"}})"));
  const std::pair<int, const char*> types[] = {{400, "invalid_request_error"},
                                               {401, "authentication_error"},
                                               {403, "permission_error"},
                                               {413, "invalid_request_error"},
                                               {429, "rate_limit_error"},
                                               {500, "api_error"},
                                               {502, "api_error"},
                                               {503, "api_error"},
                                               {504, "api_error"}};
  for (const auto& [status, type] : types) {
    rapidjson::Document d;
    d.Parse(Api().ErrorBody(status, "m", "").c_str());
    EXPECT_STREQ(d["error"]["type"].GetString(), type) << status;
    EXPECT_TRUE(d["error"]["code"].IsNull());
  }
}

}  // namespace
}  // namespace edge::providers::api
