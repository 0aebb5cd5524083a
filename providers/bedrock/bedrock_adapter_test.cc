#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <iterator>
#include <string>

#include "providers/bedrock/adapter.h"
#include "providers/bedrock/sigv4.h"

namespace edge::providers::bedrock {
namespace {

std::string ReadFile(const std::string& name) {
  std::ifstream in(EDGE_SOURCE_DIR "/providers/bedrock/testdata/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Equal as JSON values (member order aside).
void ExpectJsonEq(const std::string& actual, const std::string& expected) {
  rapidjson::Document a, e;
  a.Parse(actual.c_str());
  e.Parse(expected.c_str());
  ASSERT_FALSE(a.HasParseError()) << actual;
  ASSERT_FALSE(e.HasParseError()) << expected;
  EXPECT_TRUE(a == e) << "actual:   " << actual << "\nexpected: " << expected;
}

Target TestTarget() {
  Target t;
  t.provider = "bedrock";
  t.model = "eu.anthropic.claude-3-7-sonnet-20250219-v1:0";
  t.host = "bedrock-runtime.eu-central-1.amazonaws.com";
  t.aws_region = "eu-central-1";
  t.aws_access_key_id = "AKIDEXAMPLE";
  t.aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  t.now_unix_s = 1767225600;  // 2026-01-01T00:00:00Z
  return t;
}

std::string HeaderValue(const HttpCall& call, std::string_view name) {
  for (const auto& [k, v] : call.headers) {
    if (k == name) return v;
  }
  return "";
}

const Adapter& A() { return BedrockAdapter(); }

class GoldenRequest : public testing::TestWithParam<const char*> {};

TEST_P(GoldenRequest, TranslatesToConverse) {
  const std::string name = GetParam();
  Result<HttpCall> call =
      A().BuildChat(TestTarget(), ReadFile("chat_request_" + name + ".json"), false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectJsonEq(call->body, ReadFile("converse_request_" + name + ".json"));
}

INSTANTIATE_TEST_SUITE_P(Bedrock, GoldenRequest,
                         testing::Values("system_tools", "image", "multiturn"));

TEST(BedrockBuildChat, PathAndSignedHeaders) {
  Target t = TestTarget();
  t.aws_session_token = "session";
  t.base_path = "/proxy";
  const std::string body = R"({"messages":[{"role":"user","content":"hi"}]})";
  Result<HttpCall> call = A().BuildChat(t, body, true);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->path,
            "/proxy/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
  EXPECT_EQ(HeaderValue(*call, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderValue(*call, "Accept"), "application/vnd.amazon.eventstream");
  EXPECT_EQ(HeaderValue(*call, "X-Amz-Date"), "20260101T000000Z");
  EXPECT_EQ(HeaderValue(*call, "X-Amz-Security-Token"), "session");
  EXPECT_EQ(HeaderValue(*call, "X-Amz-Content-Sha256"), Sha256Hex(call->body));
  EXPECT_EQ(HeaderValue(*call, "Host"), "");  // the HTTP client adds it

  // The signature verifies over exactly what is sent, with the Host the client will send.
  SigV4Request req{"POST", call->path, "", {{"Host", t.host}}, Sha256Hex(call->body)};
  for (const auto& h : call->headers) {
    if (h.first != "Authorization" && h.first != "Accept") req.headers.push_back(h);
  }
  const SigV4Scope scope{"eu-central-1", "bedrock", t.now_unix_s};
  EXPECT_EQ(HeaderValue(*call, "Authorization"),
            Authorization(req, scope, {t.aws_access_key_id, t.aws_secret_access_key, "session"}));
  EXPECT_NE(HeaderValue(*call, "Authorization")
                .find("Credential=AKIDEXAMPLE/20260101/eu-central-1/bedrock/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-security-token, "),
            std::string::npos);

  call = A().BuildChat(t, body, false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path, "/proxy/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
  EXPECT_EQ(HeaderValue(*call, "Accept"), "application/json");
}

TEST(BedrockBuildChat, ModelIdsAreEncodedAsOneSegment) {
  Target t = TestTarget();
  t.model = "arn:aws:bedrock:us-east-1:123:inference-profile/us.meta.llama3-2-1b-instruct-v1:0";
  Result<HttpCall> call =
      A().BuildChat(t, R"({"messages":[{"role":"user","content":"x"}]})", false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(
      call->path,
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.meta.llama3-2-1b-"
      "instruct-v1%3A0/converse");
}

TEST(BedrockBuildChat, Refusals) {
  const Target t = TestTarget();
  auto code = [&](std::string_view body) { return A().BuildChat(t, body, false).status().code(); };
  EXPECT_EQ(code(""), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}])"), Code::kInvalidArgument);
  EXPECT_EQ(code("[]"), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[]})"), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"system","content":"only system"}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"wizard","content":"x"}]})"), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":7}]})"), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"https://example.com/cat.png"}}]}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"data:image/tiff;base64,AAAA"}}]}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"data:image/png;base64,not base64!"}}]}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function",
      "function":{"name":"f","arguments":"[1]"}}]}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"tool","content":"x"}]})"), Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web"}]})"),
            Code::kInvalidArgument);
  EXPECT_EQ(code(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function",
      "function":{"name":"f"}}],"tool_choice":"sometimes"})"),
            Code::kInvalidArgument);
  // What Converse cannot honour is refused by name, not dropped.
  for (std::string_view member : {R"("n":2)", R"("logprobs":true)", R"("logit_bias":{"1":5})",
                                  R"("presence_penalty":0.5)", R"("reasoning_effort":"high")"}) {
    std::string body =
        R"({"messages":[{"role":"user","content":"x"}],)" + std::string(member) + "}";
    Status s = A().BuildChat(t, body, false).status();
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << member;
    EXPECT_NE(s.message().find("bedrock does not support"), std::string::npos) << s.message();
  }
  // OpenAI-only service options pass.
  EXPECT_TRUE(A().BuildChat(t, R"({"messages":[{"role":"user","content":"x"}],"store":false,
      "n":1,"presence_penalty":0})",
                            false)
                  .ok());
}

TEST(BedrockBuildChat, SmallCases) {
  const Target t = TestTarget();
  Result<HttpCall> call = A().BuildChat(t, R"({"messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none",
      "stop":"END","temperature":null})",
                                        false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectJsonEq(call->body, R"({"messages":[{"role":"user","content":[{"text":"x"}]}],
      "inferenceConfig":{"stopSequences":["END"]},
      "toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":
        {"type":"object","properties":{}}}}}]}})");
  call = A().BuildChat(t, R"({"messages":[{"role":"user","content":"x"}],"tool_choice":"required",
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]})",
                       false);
  ASSERT_TRUE(call.ok());
  EXPECT_NE(call->body.find(R"("toolChoice":{"any":{}})"), std::string::npos);
}

TEST(BedrockBuildChat, MissingCredentialsOrRegion) {
  Target t = TestTarget();
  t.aws_secret_access_key.clear();
  const std::string body = R"({"messages":[{"role":"user","content":"x"}]})";
  EXPECT_EQ(A().BuildChat(t, body, false).status().code(), Code::kFailedPrecondition);
  t = TestTarget();
  t.aws_region.clear();
  EXPECT_EQ(A().BuildChat(t, body, false).status().code(), Code::kFailedPrecondition);
}

TEST(BedrockParseChat, Text) {
  Result<ChatResponse> r = A().ParseChat(ReadFile("converse_response_text.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "The most popular song on WZPZ is \"Elemental Hotel\" by 8 Storey Hike.");
  EXPECT_TRUE(r->tool_calls.empty());
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->usage.input_tokens, 30);
  EXPECT_EQ(r->usage.output_tokens, 628);
  EXPECT_EQ(r->usage.cached_input_tokens, 0);
  EXPECT_TRUE(r->usage.reported);
}

TEST(BedrockParseChat, ToolUseAndCache) {
  Result<ChatResponse> r = A().ParseChat(ReadFile("converse_response_tool.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "I'll look up the top song.");
  ASSERT_EQ(r->tool_calls.size(), 1u);
  EXPECT_EQ(r->tool_calls[0].id, "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
  EXPECT_EQ(r->tool_calls[0].name, "top_song");
  ExpectJsonEq(r->tool_calls[0].arguments, R"({"sign":"WZPZ","n":1.5,"tags":["a",null,true]})");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  EXPECT_EQ(r->usage.input_tokens, 375 + 1000 + 500);
  EXPECT_EQ(r->usage.cached_input_tokens, 1000);
  EXPECT_EQ(r->usage.output_tokens, 57);
}

TEST(BedrockParseChat, MaxTokensSkipsReasoning) {
  Result<ChatResponse> r = A().ParseChat(ReadFile("converse_response_max_tokens.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "Once upon");
  EXPECT_EQ(r->finish_reason, "length");
}

TEST(BedrockParseChat, Malformed) {
  const std::string good = ReadFile("converse_response_text.json");
  for (size_t cut = 0; cut < good.size() - 2; cut += 7) {
    EXPECT_FALSE(A().ParseChat(good.substr(0, cut)).ok()) << cut;
  }
  EXPECT_EQ(A().ParseChat(R"({"output":{}})").status().code(), Code::kUnavailable);
  EXPECT_FALSE(A().ParseChat(R"({"output":{"message":{"content":[{"toolUse":{}}]}}})").ok());
  Result<ChatResponse> r = A().ParseChat(R"({"output":{"message":{"content":[]}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->usage.reported);
}

TEST(BedrockClassifyError, Types) {
  struct Case {
    int status;
    std::string body;
    int want_status;
    bool retryable;
    std::string type;
  } cases[] = {
      {429,
       R"({"message":"Too many requests, please wait before trying again.","__type":"ThrottlingException"})",
       429, true, "ThrottlingException"},
      {429, R"({"message":"Too many requests"})", 429, true, "http_429"},
      {503, R"({"__type":"com.amazon.bedrock#ServiceUnavailableException","message":"x"})", 503,
       true, "ServiceUnavailableException"},
      {429,
       R"({"__type":"ModelNotReadyException:http://internal.amazon.com/coral/","message":"x"})",
       503, true, "ModelNotReadyException"},
      {500, R"({"__type":"InternalServerException","message":"x"})", 502, true,
       "InternalServerException"},
      {408, R"({"__type":"ModelTimeoutException","message":"x"})", 504, true,
       "ModelTimeoutException"},
      {424, R"({"__type":"ModelErrorException","message":"x"})", 502, true, "ModelErrorException"},
      {400, R"({"__type":"ValidationException","message":"too long"})", 400, false,
       "ValidationException"},
      {403, R"({"__type":"AccessDeniedException","message":"x"})", 502, false,
       "AccessDeniedException"},
      {404, R"({"__type":"ResourceNotFoundException","message":"x"})", 502, false,
       "ResourceNotFoundException"},
      {403, R"({"__type":"InvalidSignatureException","message":"x"})", 502, false,
       "InvalidSignatureException"},
      {502, "<html>bad gateway</html>", 502, true, "http_502"},
      {504, "", 504, true, "http_504"},
      {413, "", 413, false, "http_413"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ProviderError e = A().ClassifyError(c.status, {}, c.body);
    EXPECT_EQ(e.status, c.want_status);
    EXPECT_EQ(e.retryable, c.retryable);
    EXPECT_EQ(e.type, c.type);
    EXPECT_FALSE(e.message.empty());
  }
  ProviderError e = A().ClassifyError(429, {.retry_after = "3"}, R"({"message":"slow down"})");
  EXPECT_EQ(e.message, "slow down");
  EXPECT_EQ(e.retry_after, "3");
  EXPECT_EQ(A().ClassifyError(502, {}, "<html>bad gateway</html>").message,
            "<html>bad gateway</html>");
}

TEST(BedrockEmbeddings, Titan) {
  Target t = TestTarget();
  t.model = "amazon.titan-embed-text-v2:0";
  Result<HttpCall> call =
      A().BuildEmbeddings(t, R"({"model":"e","input":["hello world"],"dimensions":256})");
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
  ExpectJsonEq(call->body, R"({"inputText":"hello world","dimensions":256})");
  EXPECT_FALSE(HeaderValue(*call, "Authorization").empty());
  EXPECT_EQ(A().BuildEmbeddings(t, R"({"input":["a","b"]})").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(A().BuildEmbeddings(t, R"({"input":[[1,2]]})").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(A().BuildEmbeddings(t, R"({"input":[]})").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(A().BuildEmbeddings(t, R"({"model":"e"})").status().code(), Code::kInvalidArgument);

  Usage usage;
  Result<std::string> body =
      A().ParseEmbeddings(t, ReadFile("titan_embeddings_response.json"), &usage);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  ExpectJsonEq(*body, R"({"object":"list","data":[{"object":"embedding","index":0,
      "embedding":[0.123,-0.5,3,1e-7]}],"model":"amazon.titan-embed-text-v2:0","usage":{"prompt_tokens":4,"total_tokens":4}})");
  EXPECT_EQ(usage.input_tokens, 4);
  EXPECT_TRUE(usage.reported);
}

TEST(BedrockEmbeddings, Cohere) {
  Target t = TestTarget();
  t.model = "cohere.embed-multilingual-v3";
  Result<HttpCall> call =
      A().BuildEmbeddings(t, R"({"input":["hello world","goodbye"],"input_type":"search_query"})");
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectJsonEq(call->body, R"({"texts":["hello world","goodbye"],"input_type":"search_query"})");
  call = A().BuildEmbeddings(t, R"({"input":"one"})");
  ASSERT_TRUE(call.ok());
  ExpectJsonEq(call->body, R"({"texts":["one"],"input_type":"search_document"})");

  Usage usage;
  usage.input_tokens = 99;
  Result<std::string> body =
      A().ParseEmbeddings(t, ReadFile("cohere_embeddings_response.json"), &usage);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  ExpectJsonEq(*body, R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.1,0.2]},
      {"object":"embedding","index":1,"embedding":[-0.3,4]}],
      "model":"cohere.embed-multilingual-v3","usage":{"prompt_tokens":0,"total_tokens":0}})");
  EXPECT_FALSE(usage.reported);
  EXPECT_EQ(usage.input_tokens, 0);
  body = A().ParseEmbeddings(t, ReadFile("cohere_embeddings_by_type_response.json"), &usage);
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("[0.5,0.25]"), std::string::npos);
}

TEST(BedrockEmbeddings, RefusalsAndMalformed) {
  Target t = TestTarget();
  t.model = "anthropic.claude-3-haiku";
  EXPECT_EQ(A().BuildEmbeddings(t, R"({"input":"x"})").status().code(), Code::kInvalidArgument);
  Usage u;
  EXPECT_FALSE(A().ParseEmbeddings(t, "", &u).ok());
  EXPECT_FALSE(A().ParseEmbeddings(t, "{}", &u).ok());
  EXPECT_FALSE(A().ParseEmbeddings(t, R"({"embedding":["x"]})", &u).ok());
  EXPECT_FALSE(A().ParseEmbeddings(t, R"({"embeddings":{"int8":[[1]]}})", &u).ok());
  EXPECT_FALSE(A().ParseEmbeddings(t, R"({"embeddings":[[1],"x"]})", &u).ok());
  EXPECT_FALSE(A().ParseEmbeddings(t, R"({"embedding":[1,2)", &u).ok());
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

TEST(BedrockBuildChat, NumbersTravelAsWritten) {
  Result<HttpCall> call = A().BuildChat(TestTarget(), NumbersBody(), false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectNumbersAsWritten(call->body, R"("temperature")", R"("topP")");
}

}  // namespace
}  // namespace edge::providers::bedrock
