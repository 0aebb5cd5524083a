// Golden tests of the Anthropic adapter: request translation, whole answers, error bodies,
// against fixtures in testdata/ written from Anthropic's Messages API documentation.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>
#include <string>

#include "providers/anthropic/adapter.h"

namespace edge::providers::anthropic {
namespace {

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/anthropic/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Structural equality (member order aside), so fixtures can be laid out for reading.
void ExpectSameJson(const std::string& expected, const std::string& actual) {
  rapidjson::Document want, got;
  ASSERT_FALSE(want.Parse(expected.c_str()).HasParseError()) << expected;
  ASSERT_FALSE(got.Parse(actual.c_str()).HasParseError()) << actual;
  EXPECT_TRUE(want == got) << "expected " << expected << "\nactual   " << actual;
}

Target TestTarget() {
  Target t;
  t.provider = "anthropic";
  t.model = "claude-sonnet-4-6";
  t.host = "api.anthropic.com";
  t.api_key = "sk-ant-test";
  return t;
}

std::string Header(const HttpCall& call, const std::string& name) {
  for (const auto& [k, v] : call.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

Result<HttpCall> Build(std::string_view body, bool stream = false) {
  return AnthropicAdapter().BuildChat(TestTarget(), body, stream);
}

// The translated body of a request, or the error message.
std::string BuildBody(std::string_view body) {
  Result<HttpCall> call = Build(body);
  return call.ok() ? call->body : "error: " + call.status().message();
}

TEST(AnthropicBuildChat, GoldenConversation) {
  Result<HttpCall> call = Build(ReadTestdata("chat_request.json"));
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->path, "/v1/messages");
  EXPECT_EQ(Header(*call, "x-api-key"), "sk-ant-test");
  EXPECT_EQ(Header(*call, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(Header(*call, "content-type"), "application/json");
  ExpectSameJson(ReadTestdata("messages_request.json"), call->body);
  // Tool arguments are copied as written: numbers keep their spelling.
  EXPECT_NE(call->body.find("\"days\":1.50"), std::string::npos) << call->body;
}

TEST(AnthropicBuildChat, StreamHeadersVersionAndBasePath) {
  Target t = TestTarget();
  t.api_version = "2024-01-01";
  t.base_path = "/anthropic";
  Result<HttpCall> call = AnthropicAdapter().BuildChat(
      t, R"({"model":"x","messages":[{"role":"user","content":"Hi"}],"stream":false})", true);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/anthropic/v1/messages");
  EXPECT_EQ(Header(*call, "anthropic-version"), "2024-01-01");
  EXPECT_EQ(Header(*call, "accept"), "text/event-stream");
  ExpectSameJson(R"({"model":"claude-sonnet-4-6","max_tokens":4096,
                     "messages":[{"role":"user","content":"Hi"}],"stream":true})",
                 call->body);
}

TEST(AnthropicBuildChat, DefaultsAndSimpleForms) {
  ExpectSameJson(R"({"model":"claude-sonnet-4-6","max_tokens":4096,"system":"Be brief.",
                     "messages":[{"role":"user","content":"Hi"}],"stop_sequences":["END"],
                     "temperature":1})",
                 BuildBody(R"({"messages":[{"role":"system","content":"Be brief."},
                                           {"role":"user","content":"Hi"}],
                               "stop":"END","temperature":1,"max_tokens":null,"top_p":null})"));
  ExpectSameJson(R"({"model":"claude-sonnet-4-6","max_tokens":10,
                     "messages":[{"role":"user","content":"Hi"}]})",
                 BuildBody(R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":10,
                               "stop":[],"response_format":{"type":"json_object"},
                               "store":false,"some_future_member":{"x":1}})"));
}

TEST(AnthropicBuildChat, ToolChoiceForms) {
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}],)"
                            R"("messages":[{"role":"user","content":"Hi"}])";
  const std::string expected_tools =
      R"("tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],)"
      R"("messages":[{"role":"user","content":"Hi"}],"model":"claude-sonnet-4-6",)"
      R"("max_tokens":4096)";
  ExpectSameJson(
      "{" + expected_tools + R"(,"tool_choice":{"type":"tool","name":"f"}})",
      BuildBody("{" + tools + R"(,"tool_choice":{"type":"function","function":{"name":"f"}}})"));
  ExpectSameJson("{" + expected_tools + R"(,"tool_choice":{"type":"none"}})",
                 BuildBody("{" + tools + R"(,"tool_choice":"none","parallel_tool_calls":false})"));
  ExpectSameJson("{" + expected_tools + R"(,"tool_choice":{"type":"auto"}})",
                 BuildBody("{" + tools + R"(,"tool_choice":"auto"})"));
  ExpectSameJson(
      "{" + expected_tools + R"(,"tool_choice":{"type":"auto","disable_parallel_tool_use":true}})",
      BuildBody("{" + tools + R"(,"parallel_tool_calls":false})"));
  EXPECT_EQ(BuildBody("{" + tools + R"(,"tool_choice":"sometimes"})"),
            "error: 'tool_choice' 'sometimes' is not supported");
  // Without tools there is nothing to choose: Anthropic would refuse the member.
  ExpectSameJson(R"({"model":"claude-sonnet-4-6","max_tokens":4096,
                     "messages":[{"role":"user","content":"Hi"}]})",
                 BuildBody(R"({"messages":[{"role":"user","content":"Hi"}],"tools":[],
                               "tool_choice":"none","parallel_tool_calls":false})"));
}

TEST(AnthropicBuildChat, ResponseFormatJsonSchemaBecomesOutputConfig) {
  ExpectSameJson(
      R"({"model":"claude-sonnet-4-6","max_tokens":4096,
          "messages":[{"role":"user","content":"Hi"}],
          "output_config":{"format":{"type":"json_schema",
                                     "schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}})",
      BuildBody(R"({"messages":[{"role":"user","content":"Hi"}],
                    "response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,
                      "schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}})"));
}

TEST(AnthropicBuildChat, AssistantToolCallsWithoutTextAndEmptyArguments) {
  ExpectSameJson(
      R"({"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[
          {"role":"user","content":"Time?"},
          {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"now","input":{}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"noon"},
                                    {"type":"text","text":"Thanks"}]}]})",
      BuildBody(R"({"messages":[{"role":"user","content":"Time?"},
          {"role":"assistant","content":null,"tool_calls":[
             {"id":"t1","type":"function","function":{"name":"now","arguments":""}}]},
          {"role":"user","content":"Thanks"},
          {"role":"tool","tool_call_id":"t1","content":"noon"}]})"));
}

TEST(AnthropicBuildChat, PdfFileAndRefusal) {
  ExpectSameJson(
      R"({"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[
          {"role":"user","content":[{"type":"document","source":{"type":"base64",
              "media_type":"application/pdf","data":"JVBERi0x"}}]},
          {"role":"assistant","content":[{"type":"text","text":"I can't."}]}]})",
      BuildBody(R"({"messages":[
          {"role":"user","content":[{"type":"file","file":{"filename":"a.pdf",
              "file_data":"data:application/pdf;base64,JVBERi0x"}}]},
          {"role":"assistant","content":[{"type":"refusal","refusal":"I can't."}]}]})"));
}

TEST(AnthropicBuildChat, UnsupportedThingsAreNamed) {
  const char* user = R"("messages":[{"role":"user","content":"Hi"}])";
  struct Case {
    std::string extra;
    std::string error;
  };
  const Case cases[] = {
      {R"("n":2)", "anthropic does not support 'n' > 1"},
      {R"("logprobs":true)", "anthropic does not support logprobs"},
      {R"("presence_penalty":0.5)", "anthropic does not support presence_penalty"},
      {R"("logit_bias":{"50256":-100})", "anthropic does not support logit_bias"},
      {R"("functions":[])", "anthropic does not support the legacy 'functions' member; use tools"},
      {R"("modalities":["text","audio"])", "anthropic does not support non-text output"},
      {R"("reasoning_effort":"high")", "anthropic does not support 'reasoning_effort'"},
      {R"("temperature":1.5)", "'temperature' must be a number from 0 to 1 for anthropic"},
      {R"("max_tokens":0)", "'max_tokens' must be a positive integer"},
      {R"("max_completion_tokens":"9")", "'max_completion_tokens' must be a positive integer"},
      {R"("stop":5)", "'stop' must be a string or an array of strings"},
      {R"("tools":[{"type":"web_search"}])",
       "tools[0]: only tools of type 'function' are supported by anthropic"},
      {R"("response_format":{"type":"json_schema"})",
       "'response_format' must be text, json_object, or json_schema with a 'json_schema.schema' "
       "object"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BuildBody("{" + std::string(user) + "," + c.extra + "}"), "error: " + c.error)
        << c.extra;
  }
}

TEST(AnthropicBuildChat, BadMessagesAreNamed) {
  struct Case {
    std::string messages;
    std::string error;
  };
  const Case cases[] = {
      {R"([])", "'messages' must be a non-empty array"},
      {R"([{"role":"system","content":"only system"}])",
       "messages: anthropic needs a user message"},
      {R"([{"role":"function","content":"x"}])",
       "messages[0]: role 'function' is not supported by anthropic"},
      {R"([{"content":"x"}])", "messages[0] must be an object with a string 'role'"},
      {R"([{"role":"user","content":""}])",
       "messages[0]: anthropic requires non-empty message content"},
      {R"([{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}])",
       "messages[0].content[0]: content type 'input_audio' is not supported by anthropic"},
      {R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/a.png"}}]}])",
       "messages[0].content[0]: image_url.url must be an http(s) URL or a base64 data URL"},
      {R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,AA=="}}]}])",
       "messages[0].content[0]: image type 'image/bmp' is not supported by anthropic (jpeg, png, "
       "gif, webp)"},
      {R"([{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"t",
          "function":{"name":"f","arguments":"[1]"}}]}])",
       "messages[1].tool_calls[0].function.arguments must be a JSON object"},
      {R"([{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"t",
          "function":{"name":"f","arguments":"{\"a\":"}}]}])",
       "messages[1].tool_calls[0].function.arguments is not valid JSON: The JSON document has an "
       "improper structure: missing or superfluous commas, braces, missing keys, etc. at offset 5"},
      {R"([{"role":"user","content":"Hi"},{"role":"assistant","tool_calls":[{"id":"t",
          "function":{"name":"f","arguments":"{} {}"}}]}])",
       "messages[1].tool_calls[0].function.arguments is not valid JSON: unexpected content after "
       "the JSON value at offset 3"},
      {R"([{"role":"tool","content":"x"}])",
       "messages[0]: a tool message needs a string tool_call_id"},
      {R"([{"role":"assistant","content":"x","function_call":{"name":"f"}}])",
       "messages[0]: legacy function_call is not supported; use tool_calls"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BuildBody(R"({"messages":)" + c.messages + "}"), "error: " + c.error) << c.messages;
  }
}

TEST(AnthropicBuildChat, MalformedBodies) {
  for (std::string_view body : {"", "[]", "{", R"({"messages":"x"})", "\xff",
                                R"({"messages":[{"role":"user","content":"a\ud800"}]})",
                                R"({"messages":[1,2]})", R"({"messages":[{"role":"user"}]})"}) {
    Result<HttpCall> call = Build(body);
    ASSERT_FALSE(call.ok()) << body;
    EXPECT_EQ(call.status().code(), Code::kInvalidArgument) << body;
  }
}

TEST(AnthropicParseChat, GoldenTextAndToolUse) {
  Result<ChatResponse> r = AnthropicAdapter().ParseChat(ReadTestdata("messages_response.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "msg_01Aq9w938a90dw8q");
  EXPECT_EQ(r->model, "claude-sonnet-4-6");
  EXPECT_EQ(r->text, "I'll check the weather in Paris.");
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0].id, "toolu_01A09q90qw90lq917835lq9");
  EXPECT_EQ(r->tool_calls[0].name, "get_weather");
  EXPECT_EQ(r->tool_calls[0].arguments, R"({"location":"Paris, France","unit":"celsius"})");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_TRUE(r->usage.reported);
  EXPECT_EQ(r->usage.input_tokens, 472 + 100 + 2048);
  EXPECT_EQ(r->usage.cached_input_tokens, 2048);
  EXPECT_EQ(r->usage.output_tokens, 89);
}

TEST(AnthropicParseChat, StopReasons) {
  const std::pair<const char*, const char*> cases[] = {
      {"end_turn", "stop"},       {"stop_sequence", "stop"},     {"max_tokens", "length"},
      {"tool_use", "tool_calls"}, {"refusal", "content_filter"}, {"pause_turn", "stop"}};
  for (const auto& [anthropic, openai] : cases) {
    Result<ChatResponse> r = AnthropicAdapter().ParseChat(
        std::string(R"({"id":"m","content":[{"type":"text","text":"x"}],"stop_reason":")") +
        anthropic + R"(","usage":{"input_tokens":3,"output_tokens":1}})");
    ASSERT_TRUE(r.ok()) << anthropic;
    EXPECT_EQ(r->finish_reason, openai) << anthropic;
  }
}

TEST(AnthropicParseChat, MalformedIsAnUpstreamFailure) {
  for (std::string_view body :
       {"", "{", "[]", R"({"content":{}})", R"({"content":[{"text":"no type"}]})",
        R"({"content":[{"type":"tool_use","id":"t","name":"f"}]})",
        R"({"content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1})",
        R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"}) {
    Result<ChatResponse> r = AnthropicAdapter().ParseChat(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << body;
  }
}

TEST(AnthropicClassifyError, StatusesAndRetryability) {
  struct Case {
    int status;
    const char* retry_after;
    const char* file;
    int client_status;
    bool retryable;
    const char* type;
  };
  const Case cases[] = {
      {529, "", "error_overloaded.json", 503, true, "overloaded_error"},
      {429, "17", "error_rate_limit.json", 429, true, "rate_limit_error"},
      {400, "", "error_invalid_request.json", 400, false, "invalid_request_error"},
      {401, "", "error_authentication.json", 502, false, "authentication_error"},
      {500, "", "", 502, true, ""},
      {503, "", "", 503, true, ""},
      {504, "", "", 504, true, ""},
      {404, "", "", 502, false, ""},
      {403, "", "", 502, false, ""},
      {413, "", "", 413, false, ""},
  };
  for (const Case& c : cases) {
    const std::string body = *c.file ? ReadTestdata(c.file) : "<html>bad gateway</html>";
    ProviderError e =
        AnthropicAdapter().ClassifyError(c.status, {.retry_after = c.retry_after}, body);
    EXPECT_EQ(e.status, c.client_status) << c.status;
    EXPECT_EQ(e.retryable, c.retryable) << c.status;
    EXPECT_EQ(e.type, c.type) << c.status;
    EXPECT_EQ(e.retry_after, c.retry_after) << c.status;
    EXPECT_FALSE(e.message.empty()) << c.status;
  }
  ProviderError e =
      AnthropicAdapter().ClassifyError(400, {}, ReadTestdata("error_invalid_request.json"));
  EXPECT_EQ(e.message,
            "messages: roles must alternate between \"user\" and \"assistant\", but found "
            "multiple \"user\" roles in a row");
  EXPECT_EQ(AnthropicAdapter().ClassifyError(500, {}, "").message, "anthropic answered HTTP 500");
}

TEST(AnthropicEmbeddings, NotOffered) {
  Result<HttpCall> call = AnthropicAdapter().BuildEmbeddings(TestTarget(), R"({"input":"x"})");
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(call.status().message(), "anthropic has no embeddings API");
  Usage usage;
  EXPECT_FALSE(AnthropicAdapter().ParseEmbeddings(Target{}, "{}", &usage).ok());
}

// A canonical body whose numbers a lossy copy would change: `1E-1` and `0.10` (which a double
// prints as 0.1), `1E+2` (100.0), an integer beyond 64 bits, and a decimal of 780 zeros and a
// one inside a tool call's arguments (0.0 as a double).
std::string NumbersBody() {
  const std::string tiny = "0." + std::string(780, '0') + "1";
  return R"({"model":"m","temperature":1E-1,"top_p":0.10,"seed":123456789012345678901234567890,)"
         R"("messages":[{"role":"user","content":"hi"},)"
         R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
         R"("function":{"name":"f","arguments":"{\"x\":)" +
         tiny +
         R"(,\"n\":1E+2}"}}]},)"
         R"({"role":"tool","tool_call_id":"call_1","content":"ok"}],)"
         R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object",)"
         R"("properties":{"x":{"type":"number","minimum":1E+2,)"
         R"("maximum":123456789012345678901234567890}}}}}]})";
}

// The spellings NumbersBody's numbers must keep in a provider body; `temperature` and `top_p`
// under the provider's names.
void ExpectNumbersAsWritten(const std::string& body, std::string_view temperature,
                            std::string_view top_p) {
  const std::string tiny = "0." + std::string(780, '0') + "1";
  EXPECT_NE(body.find(std::string(temperature) + ":1E-1"), std::string::npos) << body;
  EXPECT_NE(body.find(std::string(top_p) + ":0.10"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("minimum":1E+2)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("maximum":123456789012345678901234567890)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("x":)" + tiny + R"(,"n":1E+2)"), std::string::npos) << body;
}

TEST(AnthropicBuildChat, NumbersTravelAsWritten) {
  Result<HttpCall> call = Build(NumbersBody());
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectNumbersAsWritten(call->body, R"("temperature")", R"("top_p")");
  // The range check reads the value; the spelling is kept.
  EXPECT_NE(BuildBody(R"({"messages":[{"role":"user","content":"x"}],"temperature":1E0})")
                .find(R"("temperature":1E0)"),
            std::string::npos);
  EXPECT_EQ(BuildBody(R"({"messages":[{"role":"user","content":"x"}],"temperature":1E+1})"),
            "error: 'temperature' must be a number from 0 to 1 for anthropic");
  EXPECT_EQ(BuildBody(R"({"messages":[{"role":"user","content":"x"}],"temperature":1e999})"),
            "error: 'temperature' must be a number from 0 to 1 for anthropic");
  EXPECT_EQ(BuildBody(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1E+2})"),
            "error: 'max_tokens' must be a positive integer");
}

}  // namespace
}  // namespace edge::providers::anthropic
