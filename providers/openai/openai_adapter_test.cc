// The OpenAI adapter (adapter.h) against fixtures written from OpenAI's API reference:
// requests, answers, streams fed whole and at every split, error bodies, malformed input.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "providers/openai/adapter.h"
#include "providers/openai/decoder_test_util.h"

namespace edge::providers::openai {
namespace {

using testing::Decode;
using testing::DecodeWhole;
using testing::ExpectRobust;
using testing::ExpectSameAtEverySplit;
using testing::Header;
using testing::JsonEqual;

const Adapter& A() { return OpenAiAdapter(); }

std::string Data(const std::string& name) { return testing::Testdata("openai", name); }

Target OpenAiTarget() {
  Target t;
  t.provider = "openai";
  t.model = "gpt-4o-mini-2024-07-18";
  t.host = "api.openai.com";
  t.base_path = "/v1";
  t.api_key = "sk-test";
  return t;
}

TEST(OpenAiAdapter, BuildChatReplacesModelAndFollowsTheStreamFlag) {
  // The fixture says "stream": true; a non-stream call must not ask for a stream.
  Result<HttpCall> call = A().BuildChat(OpenAiTarget(), Data("chat_request.json"), false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->path, "/v1/chat/completions");
  EXPECT_EQ(Header(*call, "authorization"), "Bearer sk-test");
  EXPECT_EQ(Header(*call, "content-type"), "application/json");
  EXPECT_EQ(Header(*call, "accept"), std::nullopt);
  EXPECT_NE(call->body.find(R"("model": "gpt-4o-mini-2024-07-18")"), std::string::npos);
  EXPECT_NE(call->body.find(R"("stream": false)"), std::string::npos);
  EXPECT_EQ(call->body.find("stream_options"), std::string::npos);
  // Everything else is the client's bytes.
  EXPECT_NE(call->body.find(R"(Hello! é中 \"quoted\" \\ back)"), std::string::npos);
}

TEST(OpenAiAdapter, BuildChatStreamAsksForUsage) {
  Target t = OpenAiTarget();
  t.api_key.clear();  // a local server without a key
  t.base_path = "";
  Result<HttpCall> call =
      A().BuildChat(t, R"({"model":"alias","messages":[{"role":"user","content":"hi"}]})", true);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/chat/completions");
  EXPECT_EQ(Header(*call, "authorization"), std::nullopt);
  EXPECT_EQ(Header(*call, "accept"), "text/event-stream");
  EXPECT_TRUE(JsonEqual(call->body,
                        R"({"stream":true,"model":"gpt-4o-mini-2024-07-18","messages":[{"role":
                        "user","content":"hi"}],"stream_options":{"include_usage":true}})"));
}

TEST(OpenAiAdapter, BuildChatRefusesWhatIsNotAnObject) {
  EXPECT_FALSE(A().BuildChat(OpenAiTarget(), "[1]", false).ok());
  EXPECT_FALSE(A().BuildChat(OpenAiTarget(), R"({"model":"m","stream":{}})", true).ok());
  EXPECT_FALSE(A().BuildChat(OpenAiTarget(), R"({"model":"m")", true).ok());
}

TEST(OpenAiAdapter, ParsesAChatCompletion) {
  Result<ChatResponse> r = A().ParseChat(Data("chat_completion.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "chatcmpl-9xQ2");
  EXPECT_EQ(r->model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(r->created, 1718345014);
  EXPECT_EQ(r->text, "Hello! How can I help you today?");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_TRUE(r->tool_calls.empty());
  EXPECT_EQ(r->usage.input_tokens, 19);
  EXPECT_EQ(r->usage.output_tokens, 10);
  EXPECT_EQ(r->usage.cached_input_tokens, 3);
  EXPECT_TRUE(r->usage.reported);
}

TEST(OpenAiAdapter, ParsesToolCalls) {
  Result<ChatResponse> r = A().ParseChat(Data("adapter_chat_tools.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  ASSERT_EQ(r->tool_calls.size(), 2u);
  EXPECT_EQ(r->tool_calls[0].id, "call_abc123");
  EXPECT_EQ(r->tool_calls[0].name, "get_current_weather");
  EXPECT_EQ(r->tool_calls[0].arguments, "{\n\"location\": \"Boston, MA\"\n}");
  EXPECT_EQ(r->tool_calls[1].id, "call_def456");
  EXPECT_EQ(r->usage.input_tokens, 82);
  EXPECT_EQ(r->usage.output_tokens, 17);
}

TEST(OpenAiAdapter, MalformedAnswersAreUpstreamFailures) {
  const std::string body = Data("chat_completion.json");
  for (size_t i = 0; i + 1 < body.size(); ++i) {
    Result<ChatResponse> r = A().ParseChat(body.substr(0, i));
    ASSERT_FALSE(r.ok()) << "cut at " << i;
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
  }
  EXPECT_FALSE(A().ParseChat(R"({"choices":[]})").ok());
  EXPECT_FALSE(A().ParseChat(R"({"choices":[{"index":0}]})").ok());
  EXPECT_FALSE(A().ParseChat(Data("error_server.json")).ok());
  EXPECT_FALSE(
      A().ParseChat(R"({"choices":[{"message":{"tool_calls":[{"id":"x","function":{}}]}}]})").ok());
}

TEST(OpenAiAdapter, DecodesATextStreamWithUsage) {
  const std::string s = Data("chat_stream_usage.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.feed.ok()) << d.feed.ToString();
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  const std::vector<std::string> want = {"start chatcmpl-9xQ1 gpt-4o-mini-2024-07-18",
                                         "text Hello",
                                         "text !",
                                         "text  How",
                                         "text  can",
                                         "text  I",
                                         "text  help",
                                         "text  you",
                                         "text  today",
                                         "text ?",
                                         "finish stop",
                                         "usage in=19 cached=3 out=10"};
  EXPECT_EQ(d.deltas, want);
  EXPECT_EQ(d.usage.input_tokens, 19);
  EXPECT_FALSE(d.error.has_value());
  ExpectSameAtEverySplit(A(), s);
}

TEST(OpenAiAdapter, DecodesCrlfStreamsAlike) {
  std::string crlf;
  for (char c : Data("chat_stream_usage.sse")) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(DecodeWhole(A(), crlf).deltas, DecodeWhole(A(), Data("chat_stream_usage.sse")).deltas);
  ExpectSameAtEverySplit(A(), crlf);
}

TEST(OpenAiAdapter, AStreamWithoutUsageReportsNone) {
  const testing::Decoded d = DecodeWhole(A(), Data("chat_stream_no_usage.sse"));
  EXPECT_TRUE(d.finish.ok());
  EXPECT_FALSE(d.usage.reported);
  EXPECT_EQ(d.deltas.back(), "finish stop");
}

TEST(OpenAiAdapter, DecodesToolCallStreams) {
  const std::string s = Data("chat_stream_tools_usage.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  const std::vector<std::string> want = {"start chatcmpl-9xQ1 gpt-4o-mini-2024-07-18",
                                         "tool 0 call_DdmO9pD3xa9XTPNJ32zg2hcA get_weather",
                                         "args 0 {\"",
                                         "args 0 location",
                                         "args 0 \":\"",
                                         "args 0 Paris",
                                         "args 0 ,",
                                         "args 0  France",
                                         "args 0 \"}",
                                         "finish tool_calls",
                                         "usage in=82 cached=0 out=17"};
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
}

TEST(OpenAiAdapter, DecodesParallelToolCalls) {
  const std::string s = Data("adapter_stream_parallel_tools.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  const std::vector<std::string> want = {"start chatcmpl-A1 gpt-4o-2024-08-06",
                                         "tool 0 call_aaa get_weather",
                                         "args 0 {\"location\": \"Paris\"}",
                                         "tool 1 call_bbb get_time",
                                         "args 1 {\"tz\": ",
                                         "args 1 \"Asia/Tokyo\"}",
                                         "finish tool_calls",
                                         "usage in=95 cached=64 out=44"};
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
  ExpectRobust(A(), s, s.size());
}

TEST(OpenAiAdapter, CompatibleServersToolCallQuirks) {
  // Older Ollama: every call is index 0, whole, arguments as an object; no ids at all.
  const std::string s =
      "data: "
      "{\"id\":\"c\",\"model\":\"llama3\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
      "[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"a\",\"arguments\":{\"x\":1}}}]}}]}"
      "\n\n"
      "data: "
      "{\"id\":\"c\",\"model\":\"llama3\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
      "[{\"index\":0,\"id\":\"call_2\",\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"id\":\"c\",\"model\":\"llama3\",\"choices\":[{\"delta\":{\"tool_calls\":"
      "[{\"function\":{\"name\":\"c\",\"arguments\":\"\"}}]},\"finish_reason\":\"function_call\"}]}"
      "\n\ndata: [DONE]\n\n";
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  // A piece with a name but no id is a call of its own; its id is made up.
  const std::vector<std::string> want = {"start c llama3",   "tool 0 call_1 a", "args 0 {\"x\":1}",
                                         "tool 1 call_2 b",  "args 1 {}",       "tool 2 call_2_ c",
                                         "finish tool_calls"};
  EXPECT_EQ(d.deltas, want);
}

TEST(OpenAiAdapter, AStreamCutBeforeDoneIsAnError) {
  const std::string s = Data("chat_stream_usage.sse");
  const std::string cut = s.substr(0, s.rfind("data: [DONE]"));
  const testing::Decoded d = DecodeWhole(A(), cut);
  EXPECT_TRUE(d.feed.ok());
  EXPECT_FALSE(d.finish.ok());
  EXPECT_EQ(d.usage.output_tokens, 10);  // still known, for billing a cut stream
  ExpectRobust(A(), s, s.size());
}

TEST(OpenAiAdapter, AnInStreamErrorSetsError) {
  const std::string s = Data("adapter_stream_error.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  EXPECT_TRUE(d.feed.ok());
  EXPECT_FALSE(d.finish.ok());
  ASSERT_TRUE(d.error.has_value());
  EXPECT_EQ(d.error->status, 502);
  EXPECT_TRUE(d.error->retryable);
  EXPECT_EQ(d.error->type, "server_error");
  EXPECT_NE(d.error->message.find("The server had an error"), std::string::npos);
  const std::vector<std::string> want = {"start chatcmpl-A1 gpt-4o-2024-08-06", "text Hel"};
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
  // Nothing after the error is decoded.
  const testing::Decoded more = DecodeWhole(A(), s + Data("chat_stream_usage.sse"));
  EXPECT_EQ(more.deltas, want);
}

TEST(OpenAiAdapter, MalformedStreamsAreCleanErrors) {
  for (std::string_view s : {"data: {not json}\n\n", "data: [1,2]\n\n", "data: \"x\"\n\n",
                             "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}{}\n\n"}) {
    const testing::Decoded d = DecodeWhole(A(), s);
    EXPECT_FALSE(d.feed.ok()) << s;
    EXPECT_EQ(d.feed.code(), Code::kUnavailable) << s;
  }
  // Comments, named events and empty-choice chunks are not content.
  const testing::Decoded d = DecodeWhole(
      A(), ": keep-alive\n\nevent: ping\ndata: {}\n\ndata: {\"choices\":[]}\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(d.finish.ok());
  EXPECT_TRUE(d.deltas.empty());
}

TEST(OpenAiAdapter, Embeddings) {
  Result<HttpCall> call = A().BuildEmbeddings(
      OpenAiTarget(), R"({"model":"embed","input":["a b","c"],"dimensions":256})");
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/v1/embeddings");
  EXPECT_EQ(Header(*call, "authorization"), "Bearer sk-test");
  EXPECT_TRUE(JsonEqual(
      call->body, R"({"model":"gpt-4o-mini-2024-07-18","input":["a b","c"],"dimensions":256})"));
  const std::string body = Data("embeddings.json");
  Usage usage;
  Result<std::string> out = A().ParseEmbeddings(OpenAiTarget(), body, &usage);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, body);
  EXPECT_EQ(usage.input_tokens, 8);
  EXPECT_EQ(usage.output_tokens, 0);
  EXPECT_TRUE(usage.reported);
  EXPECT_FALSE(A().ParseEmbeddings(OpenAiTarget(), R"({"object":"list"})", &usage).ok());
  EXPECT_FALSE(A().ParseEmbeddings(OpenAiTarget(), body.substr(0, 40), &usage).ok());
}

TEST(OpenAiAdapter, ClassifiesErrors) {
  ProviderError e = A().ClassifyError(429, {.retry_after = "20"}, Data("error_rate_limit.json"));
  EXPECT_EQ(e.status, 429);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.retry_after, "20");
  EXPECT_EQ(e.type, "requests");
  EXPECT_NE(e.message.find("Rate limit reached"), std::string::npos);

  e = A().ClassifyError(401, {}, Data("error_invalid_key.json"));
  EXPECT_EQ(e.status, 502);  // the operator's key, not the caller's
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("Incorrect API key provided"), std::string::npos);

  e = A().ClassifyError(400, {.retry_after = "5"}, Data("error_context_length.json"));
  EXPECT_EQ(e.status, 400);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.retry_after, "");
  EXPECT_NE(e.message.find("maximum context length"), std::string::npos);

  e = A().ClassifyError(500, {}, Data("error_server.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_TRUE(e.retryable);
  e = A().ClassifyError(503, {}, "<html>Service Unavailable</html>");
  EXPECT_EQ(e.status, 503);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.message, "openai answered HTTP 503");
  e = A().ClassifyError(408, {}, "");
  EXPECT_EQ(e.status, 504);
  EXPECT_TRUE(e.retryable);
  e = A().ClassifyError(404, {}, R"({"error":"model 'llama9' not found"})");  // Ollama
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("model 'llama9' not found"), std::string::npos);
  e = A().ClassifyError(403, {}, R"({"detail":"Forbidden"})");  // vLLM
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);
  e = A().ClassifyError(413, {}, "");
  EXPECT_EQ(e.status, 413);
  EXPECT_FALSE(e.retryable);
}

}  // namespace
}  // namespace edge::providers::openai
