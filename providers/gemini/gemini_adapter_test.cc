// The Gemini adapter against fixtures written from the Gemini API reference
// (generateContent, streamGenerateContent?alt=sse, batchEmbedContents, Google API errors):
// request translation, answers, streams at every split, errors, malformed input.

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "providers/gemini/adapter.h"
#include "providers/openai/decoder_test_util.h"

namespace edge::providers::gemini {
namespace {

using testing::DecodeWhole;
using testing::ExpectRobust;
using testing::ExpectSameAtEverySplit;
using testing::Header;
using testing::JsonEqual;

const Adapter& A() { return GeminiAdapter(); }

std::string Data(const std::string& name) { return testing::Testdata("gemini", name); }

Target GeminiTarget() {
  Target t;
  t.provider = "gemini";
  t.model = "gemini-2.5-flash";
  t.host = "generativelanguage.googleapis.com";
  t.api_key = "AIza-test";
  return t;
}

// The body Gemini gets for an OpenAI body of `messages` (and extra members).
Result<std::string> Translate(std::string_view messages, std::string_view extra = "") {
  std::string body = R"({"model":"m","messages":)" + std::string(messages);
  if (!extra.empty()) body += "," + std::string(extra);
  body += "}";
  EDGE_ASSIGN_OR_RETURN(HttpCall call, A().BuildChat(GeminiTarget(), body, false));
  return call.body;
}

// Decodes the golden stream `name` whole, expecting `want`, and the same at every split.
testing::Decoded ExpectStream(const std::string& name, const std::vector<std::string>& want) {
  const std::string s = Data(name);
  testing::Decoded d = DecodeWhole(A(), s);
  EXPECT_TRUE(d.feed.ok()) << d.feed.ToString();
  EXPECT_TRUE(d.finish.ok()) << d.finish.ToString();
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
  return d;
}

TEST(GeminiAdapter, BuildsGenerateContentCalls) {
  Result<HttpCall> call = A().BuildChat(GeminiTarget(), Data("chat_request.json"), false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->method, "POST");
  EXPECT_EQ(call->path, "/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(Header(*call, "x-goog-api-key"), "AIza-test");
  EXPECT_EQ(Header(*call, "content-type"), "application/json");
  EXPECT_EQ(Header(*call, "authorization"), std::nullopt);
  EXPECT_TRUE(JsonEqual(call->body, Data("chat_request.gemini.json")));

  Target t = GeminiTarget();
  t.base_path = "/proxy";
  t.model = "models/gemini-2.5-pro@429";
  call = A().BuildChat(t, Data("chat_request.json"), true);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path, "/proxy/v1beta/models/gemini-2.5-pro@429:streamGenerateContent?alt=sse");
  EXPECT_EQ(Header(*call, "accept"), "text/event-stream");
  t.model = "tunedModels/my model";
  call = A().BuildChat(t, Data("chat_request.json"), false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path, "/proxy/v1beta/tunedModels/my%20model:generateContent");
}

TEST(GeminiAdapter, TranslatesParameters) {
  Result<std::string> body = Translate(
      R"([{"role":"user","content":"hi"}])",
      R"("max_tokens":10,"stop":"\n\n","presence_penalty":0.5,"frequency_penalty":0,)"
      R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":)"
      R"({"type":"object","properties":{"a":{"type":"integer"}}}}},)"
      R"("reasoning_effort":"low","tool_choice":{"type":"function","function":{"name":"f"}},)"
      R"("n":1,"logprobs":false,"metadata":{"k":"v"},"store":true)");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_TRUE(JsonEqual(*body, R"({
    "contents":[{"role":"user","parts":[{"text":"hi"}]}],
    "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}},
    "generationConfig":{"maxOutputTokens":10,"presencePenalty":0.5,"frequencyPenalty":0,
      "stopSequences":["\n\n"],"responseMimeType":"application/json",
      "responseJsonSchema":{"type":"object","properties":{"a":{"type":"integer"}}},
      "thinkingConfig":{"thinkingBudget":1024}}})"));

  body = Translate(R"([{"role":"user","content":"hi"}])",
                   R"("response_format":{"type":"json_object"},"tool_choice":"none")");
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(JsonEqual(*body, R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],
    "toolConfig":{"functionCallingConfig":{"mode":"NONE"}},
    "generationConfig":{"responseMimeType":"application/json"}})"));
}

TEST(GeminiAdapter, TranslatesMediaParts) {
  Result<std::string> body = Translate(R"([{"role":"user","content":[
      {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
      {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}},
      {"type":"image_url","image_url":{"url":"data:image/jpeg;charset=x;base64,/9j/4AAQ"}}]}])");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_TRUE(JsonEqual(*body, R"({"contents":[{"role":"user","parts":[
      {"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},
      {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
      {"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}}]}]})"));
}

TEST(GeminiAdapter, RefusesWhatGeminiCannotExpress) {
  const std::string user = R"([{"role":"user","content":"hi"}])";
  struct Case {
    std::string messages, extra, needle;
  };
  const std::vector<Case> cases = {
      {user, R"("n":2)", "'n' > 1"},
      {user, R"("logprobs":true)", "logprobs"},
      {user, R"("logit_bias":{"1":5})", "logit_bias"},
      {user, R"("functions":[])", "legacy"},
      {user, R"("modalities":["text","audio"])", "non-text"},
      {user, R"("tools":[{"type":"web_search"}])", "tools other than functions"},
      {user, R"("tool_choice":"sometimes")", "tool_choice"},
      {user, R"("max_tokens":0)", "positive integer"},
      {user, R"("temperature":"hot")", "temperature"},
      {user, R"("reasoning_effort":"max")", "reasoning_effort"},
      {user, R"("response_format":{"type":"xml"})", "response_format"},
      {R"([{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}])",
       "", "data: URLs"},
      {R"([{"role":"user","content":[{"type":"video","video":{}}]}])", "", "'video'"},
      {R"([{"role":"tool","tool_call_id":"nope","content":"x"}])", "", "no earlier tool call"},
      {R"([{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"[1]"}}]}])",
       "", "not a JSON object"},
      {R"([{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{"}}]}])",
       "", "not a JSON object"},
      {R"([{"role":"system","content":"only a system prompt"}])", "", "at least one"},
      {R"([{"role":"wizard","content":"x"}])", "", "unknown message role"},
      {R"([{"role":"function","content":"x"}])", "", "legacy"},
      {R"({"role":"user"})", "", "'messages' must be an array"},
      {R"([1])", "", "must be an object"},
  };
  for (const Case& c : cases) {
    Result<std::string> body = Translate(c.messages, c.extra);
    ASSERT_FALSE(body.ok()) << c.messages << " " << c.extra;
    EXPECT_EQ(body.status().code(), Code::kInvalidArgument);
    EXPECT_NE(body.status().message().find(c.needle), std::string::npos) << body.status().message();
  }
  EXPECT_FALSE(A().BuildChat(GeminiTarget(), "{\"model\":", false).ok());
  EXPECT_FALSE(A().BuildChat(GeminiTarget(), "[]", false).ok());
}

TEST(GeminiAdapter, ParsesTextSkippingThoughts) {
  Result<ChatResponse> r = A().ParseChat(Data("response_text.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "mA1BaOyzLuGT1dkPyJ3BwQk");
  EXPECT_EQ(r->model, "gemini-2.5-flash");
  EXPECT_EQ(r->text, "AI learns patterns from data to make predictions.");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->usage.input_tokens, 8);
  EXPECT_EQ(r->usage.output_tokens, 9 + 98);  // thinking is billed as output
  EXPECT_EQ(r->usage.reasoning_tokens, 98);   // and shown apart
  EXPECT_EQ(r->usage.cached_input_tokens, 0);
  EXPECT_TRUE(r->usage.reported);
}

TEST(GeminiAdapter, ParsesFunctionCalls) {
  Result<ChatResponse> r = A().ParseChat(Data("response_function_call.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "");
  EXPECT_EQ(r->finish_reason, "tool_calls");
  ASSERT_EQ(r->tool_calls.size(), 2u);
  EXPECT_EQ(r->tool_calls[0].id, "call_0");
  EXPECT_EQ(r->tool_calls[0].name, "get_weather");
  EXPECT_EQ(r->tool_calls[0].arguments, R"({"location":"Paris"})");
  EXPECT_EQ(r->tool_calls[1].id, "call_1");
  EXPECT_EQ(r->tool_calls[1].arguments, R"({"tz":"Europe/Paris"})");
  EXPECT_EQ(r->usage.input_tokens, 120);
  EXPECT_EQ(r->usage.cached_input_tokens, 64);
  EXPECT_EQ(r->usage.output_tokens, 18);
}

// Gemini 3 gives function calls a thoughtSignature and refuses a history without it; the
// signature rides in the tool call id (internal.h: ToolCallId), base64url after the separator.
constexpr char kSignature[] = "CiQB0e2Kb+xT/9aK3Vq8YwQ1Zm9vYmFy++++Qgk=";
constexpr char kSignedId[] = "call_0__thought__CiQB0e2Kb-xT_9aK3Vq8YwQ1Zm9vYmFy----Qgk";

// `text` with every "$ID0", "$ID1" replaced by ids[0], ids[1].
std::string WithIds(std::string text, const std::vector<std::string>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string key = "$ID" + std::to_string(i);
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), ids[i]);
      at += ids[i].size();
    }
  }
  return text;
}

// An assistant turn that called get_weather with `id`, and the tool's answer.
std::string CallAndResult(const std::string& id) {
  return WithIds(R"([{"role":"user","content":"Weather in Paris?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"$ID0","type":"function",
      "function":{"name":"get_weather","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"$ID0","content":"21C"}])",
                 {id});
}

TEST(GeminiAdapter, ToolCallIdsCarryThoughtSignatures) {
  Result<ChatResponse> r = A().ParseChat(Data("response_function_call_signed.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "I will look both up.");  // a text part's signature has nowhere to go
  EXPECT_EQ(r->finish_reason, "tool_calls");
  ASSERT_EQ(r->tool_calls.size(), 2u);
  EXPECT_EQ(r->tool_calls[0].id, kSignedId);
  EXPECT_EQ(r->tool_calls[0].name, "get_weather");
  EXPECT_EQ(r->tool_calls[1].id, "call_1");  // parallel calls: only the first is signed
  EXPECT_EQ(r->usage.reasoning_tokens, 40);
  for (char c : r->tool_calls[0].id) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') << c;
  }

  // A signature that is not base64 (or is absurdly long) cannot be carried faithfully: the id
  // stays plain and the answer is still read.
  for (const std::string& bad : {std::string("a b"), std::string("abc$"), std::string("QQ==="),
                                 std::string("QUJD="), std::string(64 * 1024 + 4, 'A')}) {
    r = A().ParseChat(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"},)"
                      R"("thoughtSignature":")" +
                      bad + R"("}]},"finishReason":"STOP"}]})");
    ASSERT_TRUE(r.ok()) << bad;
    ASSERT_EQ(r->tool_calls.size(), 1u);
    EXPECT_EQ(r->tool_calls[0].id, "call_0") << bad;
  }
  r = A().ParseChat(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","id":"g7"},)"
                    R"("thoughtSignature":"EjT+/z6ZEH8="}]},"finishReason":"STOP"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tool_calls[0].id, "g7__thought__EjT-_z6ZEH8");  // Gemini's own id is the base
  // unless it holds the separator: every id given out must be readable when it comes back.
  r = A().ParseChat(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f",)"
                    R"("id":"g__thought__$"}}]},"finishReason":"STOP"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tool_calls[0].id, "call_0");
}

TEST(GeminiAdapter, SendsThoughtSignaturesBackOnTheirCalls) {
  // The answer's ids, sent back as a client does: the signature returns on its part, the
  // unsigned call stays unsigned, and tool results still find their calls.
  Result<ChatResponse> answer = A().ParseChat(Data("response_function_call_signed.json"));
  ASSERT_TRUE(answer.ok());
  Result<std::string> body =
      Translate(WithIds(R"([
    {"role":"user","content":"Weather and time in Paris?"},
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"$ID0","type":"function",
       "function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},
      {"id":"$ID1","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
    {"role":"tool","tool_call_id":"$ID1","content":"14:05"},
    {"role":"tool","tool_call_id":"$ID0","content":"21C"}])",
                        {answer->tool_calls[0].id, answer->tool_calls[1].id}));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_TRUE(JsonEqual(*body, R"({"contents":[
    {"role":"user","parts":[{"text":"Weather and time in Paris?"}]},
    {"role":"model","parts":[
      {"functionCall":{"name":"get_weather","args":{"location":"Paris"}},
       "thoughtSignature":"CiQB0e2Kb+xT/9aK3Vq8YwQ1Zm9vYmFy++++Qgk="},
      {"functionCall":{"name":"get_time","args":{}}}]},
    {"role":"user","parts":[
      {"functionResponse":{"name":"get_time","response":{"content":"14:05"}}},
      {"functionResponse":{"name":"get_weather","response":{"content":"21C"}}}]}]})"))
      << *body;

  // The same signature written raw (standard alphabet, padded: LiteLLM's ids) is read too, and
  // unpadded URL-safe text is padded back: Gemini gets exactly what it sent.
  for (const std::string& id :
       {std::string("call_7__thought__") + kSignature, std::string("x__thought__EjT-_z6ZEH8")}) {
    body = Translate(CallAndResult(id));
    ASSERT_TRUE(body.ok()) << id << ": " << body.status().ToString();
    const std::string want = id[0] == 'x' ? "EjT+/z6ZEH8=" : kSignature;
    EXPECT_NE(body->find(R"("thoughtSignature":")" + want + "\""), std::string::npos) << *body;
  }
  // Ids without the separator are used as before, whatever they hold.
  body = Translate(CallAndResult("call+/=_thought_1"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->find("thoughtSignature"), std::string::npos) << *body;
}

TEST(GeminiAdapter, ManyToolResultsFindTheirCalls) {
  // Thousands of calls answered in reverse order, then an id reused by a later call: each
  // functionResponse names the function of the latest call with its id. (A body like this
  // once cost a search through every earlier call per tool message.)
  constexpr int kCalls = 5000;
  std::string messages = R"([{"role":"user","content":"go"},{"role":"assistant","tool_calls":[)";
  for (int i = 0; i < kCalls; ++i) {
    if (i > 0) messages += ',';
    messages += R"({"id":"id)" + std::to_string(i) +
                R"(","type":"function","function":{"name":"f)" + std::to_string(i) +
                R"(","arguments":"{}"}})";
  }
  messages += "]}";
  for (int i = kCalls - 1; i >= 0; --i) {
    messages += R"(,{"role":"tool","tool_call_id":"id)" + std::to_string(i) + R"(","content":"r"})";
  }
  messages += R"(,{"role":"assistant","tool_calls":[{"id":"id0","type":"function",)"
              R"("function":{"name":"again","arguments":"{}"}}]},)"
              R"({"role":"tool","tool_call_id":"id0","content":"r"}])";
  Result<std::string> body = Translate(messages);
  ASSERT_TRUE(body.ok()) << body.status().ToString();

  std::vector<std::string> names;
  const std::string key = R"("functionResponse":{"name":")";
  for (size_t at = body->find(key); at != std::string::npos; at = body->find(key, at)) {
    at += key.size();
    names.push_back(body->substr(at, body->find('"', at) - at));
  }
  ASSERT_EQ(names.size(), static_cast<size_t>(kCalls) + 1);
  for (int k = 0; k < kCalls; ++k) {
    ASSERT_EQ(names[static_cast<size_t>(k)], "f" + std::to_string(kCalls - 1 - k)) << k;
  }
  EXPECT_EQ(names.back(), "again");
}

TEST(GeminiAdapter, RefusesMalformedSignaturesInIds) {
  // The separator is ours: what follows it must be the signature as we wrote it. A cut or
  // altered id is the client's error, said plainly rather than as Gemini's "corrupted".
  const std::string huge = "call_0__thought__" + std::string(64 * 1024 + 4, 'A');
  for (const std::string& id :
       {std::string("call_0__thought__"), std::string("call_0__thought__A"),
        std::string("call_0__thought__ab$c"), std::string("call_0__thought__QQ==="),
        std::string("call_0__thought__QUJD="), std::string("call_0__thought__Q==Q"), huge}) {
    Result<std::string> body = Translate(CallAndResult(id));
    ASSERT_FALSE(body.ok()) << id;
    EXPECT_EQ(body.status().code(), Code::kInvalidArgument);
    EXPECT_NE(body.status().message().find("malformed thought signature"), std::string::npos)
        << body.status().message();
    EXPECT_LT(body.status().message().size(), 200u);  // the id is shortened, not echoed whole
  }
}

TEST(GeminiAdapter, ParsesFinishReasonsAndBlocks) {
  Result<ChatResponse> r = A().ParseChat(Data("response_blocked.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->finish_reason, "content_filter");
  EXPECT_EQ(r->text, "");
  EXPECT_EQ(r->usage.input_tokens, 8);
  for (auto [gemini, openai] :
       std::vector<std::pair<std::string, std::string>>{{"MAX_TOKENS", "length"},
                                                        {"SAFETY", "content_filter"},
                                                        {"RECITATION", "content_filter"},
                                                        {"PROHIBITED_CONTENT", "content_filter"},
                                                        {"OTHER", "stop"},
                                                        {"STOP", "stop"}}) {
    r = A().ParseChat(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":")" +
                      gemini + R"("}]})");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->finish_reason, openai) << gemini;
  }
}

TEST(GeminiAdapter, MalformedAnswersAreUpstreamFailures) {
  const std::string body = Data("response_function_call.json");
  for (size_t i = 0; i + 1 < body.size(); ++i) {
    Result<ChatResponse> r = A().ParseChat(body.substr(0, i));
    ASSERT_FALSE(r.ok()) << "cut at " << i;
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
  }
  EXPECT_FALSE(A().ParseChat("[]").ok());
  EXPECT_FALSE(A().ParseChat(R"({"candidates":[1]})").ok());
  EXPECT_FALSE(A().ParseChat(R"({"candidates":[{"content":{"parts":[7]}}]})").ok());
  EXPECT_FALSE(
      A().ParseChat(R"({"candidates":[{"content":{"parts":[{"functionCall":{}}]}}]})").ok());
  Result<ChatResponse> e = A().ParseChat(Data("error_unavailable.json"));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("overloaded"), std::string::npos);
}

TEST(GeminiAdapter, DecodesATextStreamWithCumulativeUsage) {
  const std::vector<std::string> want = {"start s1-Xk gemini-2.5-flash",
                                         "text The",
                                         "usage in=9 cached=0 out=0",
                                         "text  sky is blue",
                                         "usage in=9 cached=0 out=30",
                                         "text .",
                                         "finish stop",
                                         "usage in=9 cached=0 out=31"};
  const testing::Decoded d = ExpectStream("stream_text.sse", want);
  // The last report, never a sum.
  EXPECT_EQ(d.usage.input_tokens, 9);
  EXPECT_EQ(d.usage.output_tokens, 31);
  const std::string s = Data("stream_text.sse");
  ExpectRobust(A(), s, s.rfind("data:") + 10);
}

TEST(GeminiAdapter, DecodesStreamedFunctionCalls) {
  const std::vector<std::string> want = {"start s2-Fn gemini-2.5-flash",
                                         "text Checking.",
                                         "usage in=70 cached=0 out=2",
                                         "tool 0 call_0 get_weather",
                                         "args 0 {\"location\":\"Paris\"}",
                                         "tool 1 call_1 get_time",
                                         "args 1 {}",
                                         "finish tool_calls",
                                         "usage in=70 cached=32 out=12"};
  ExpectStream("stream_function_call.sse", want);
}

TEST(GeminiAdapter, StreamedToolCallIdsCarryThoughtSignatures) {
  const std::vector<std::string> want = {"start s4-Sg gemini-3-pro-preview",
                                         std::string("tool 0 ") + kSignedId + " get_weather",
                                         "args 0 {\"location\":\"Paris\"}",
                                         "usage in=70 cached=0 out=35",
                                         "tool 1 call_1 get_time",
                                         "args 1 {}",
                                         "tool 2 fc-3__thought__EjT-_z6ZEH8 get_time",
                                         "args 2 {\"tz\":\"UTC\"}",
                                         "finish tool_calls",
                                         "usage in=70 cached=0 out=42"};
  ExpectStream("stream_function_call_signed.sse", want);
}

TEST(GeminiAdapter, AnInStreamErrorSetsError) {
  const std::string s = Data("stream_error.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  EXPECT_TRUE(d.feed.ok());
  EXPECT_FALSE(d.finish.ok());
  ASSERT_TRUE(d.error.has_value());
  EXPECT_EQ(d.error->status, 503);
  EXPECT_TRUE(d.error->retryable);
  EXPECT_EQ(d.error->type, "UNAVAILABLE");
  const std::vector<std::string> want = {"start s3-Er gemini-2.5-flash", "text Once",
                                         "usage in=4 cached=0 out=0"};
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
}

TEST(GeminiAdapter, AStreamWithoutAFinishReasonIsCut) {
  const std::string s = Data("stream_text.sse");
  const testing::Decoded d = DecodeWhole(A(), s.substr(0, s.rfind("data:")));
  EXPECT_TRUE(d.feed.ok());
  EXPECT_FALSE(d.finish.ok());
  EXPECT_EQ(d.usage.output_tokens, 30);  // what was reported so far, for billing
  for (std::string_view bad : {"data: {oops}\n\n", "data: [1]\n\n",
                               "data: {\"candidates\":[{\"content\":{\"parts\":[1]}}]}\n\n"}) {
    const testing::Decoded m = DecodeWhole(A(), bad);
    EXPECT_FALSE(m.feed.ok()) << bad;
    EXPECT_EQ(m.feed.code(), Code::kUnavailable);
  }
}

TEST(GeminiAdapter, Embeddings) {
  Result<HttpCall> call = A().BuildEmbeddings(
      GeminiTarget(), R"({"model":"e","input":["What is life?","How?"],"dimensions":4})");
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/v1beta/models/gemini-2.5-flash:batchEmbedContents");
  EXPECT_EQ(Header(*call, "x-goog-api-key"), "AIza-test");
  EXPECT_TRUE(JsonEqual(call->body, R"({"requests":[
      {"model":"models/gemini-2.5-flash","content":{"parts":[{"text":"What is life?"}]},
       "outputDimensionality":4},
      {"model":"models/gemini-2.5-flash","content":{"parts":[{"text":"How?"}]},
       "outputDimensionality":4}]})"));
  EXPECT_FALSE(A().BuildEmbeddings(GeminiTarget(), R"({"input":[[1,2]]})").ok());
  EXPECT_FALSE(A().BuildEmbeddings(GeminiTarget(), R"({"input":[]})").ok());
  EXPECT_FALSE(A().BuildEmbeddings(GeminiTarget(), R"({"input":"x","dimensions":0})").ok());

  Usage usage;
  usage.input_tokens = 99;
  Result<std::string> out =
      A().ParseEmbeddings(GeminiTarget(), Data("embeddings_response.json"), &usage);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(JsonEqual(*out, R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.013168523,-0.008711934,-0.046782676,0.00069968984]},
      {"object":"embedding","index":1,"embedding":[-0.0027731322,0.020215578,-0.05293123,0.0091431215]}],
      "model":"gemini-2.5-flash","usage":{"prompt_tokens":0,"total_tokens":0}})"));
  EXPECT_EQ(usage.input_tokens, 0);
  EXPECT_FALSE(usage.reported);
  EXPECT_FALSE(A().ParseEmbeddings(GeminiTarget(), R"({"embeddings":[{}]})", &usage).ok());
  EXPECT_FALSE(A().ParseEmbeddings(GeminiTarget(), "{", &usage).ok());
}

TEST(GeminiAdapter, EmbeddingsNameTheDeploymentModel) {
  Target t = GeminiTarget();
  t.model = "tunedModels/my \"model\"";
  Usage usage;
  Result<std::string> out = A().ParseEmbeddings(t, Data("embeddings_response.json"), &usage);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find(R"("model":"tunedModels/my \"model\"")"), std::string::npos) << *out;
}

TEST(GeminiAdapter, ClassifiesErrors) {
  ProviderError e = A().ClassifyError(429, {}, Data("error_resource_exhausted.json"));
  EXPECT_EQ(e.status, 429);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.type, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(e.retry_after, "37");  // RetryInfo, as no Retry-After came
  EXPECT_NE(e.message.find("exceeded your current quota"), std::string::npos);
  e = A().ClassifyError(429, {.retry_after = "5"}, Data("error_resource_exhausted.json"));
  EXPECT_EQ(e.retry_after, "5");

  e = A().ClassifyError(503, {}, Data("error_unavailable.json"));
  EXPECT_EQ(e.status, 503);
  EXPECT_TRUE(e.retryable);
  e = A().ClassifyError(500, {}, Data("error_internal.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_TRUE(e.retryable);
  e = A().ClassifyError(504, {}, R"({"error":{"code":504,"status":"DEADLINE_EXCEEDED"}})");
  EXPECT_EQ(e.status, 504);
  EXPECT_TRUE(e.retryable);

  e = A().ClassifyError(400, {}, Data("error_api_key_invalid.json"));
  EXPECT_EQ(e.status, 502);  // the operator's key, not the caller's request
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("API key not valid"), std::string::npos);
  e = A().ClassifyError(400, {.retry_after = "3"}, Data("error_invalid_argument.json"));
  EXPECT_EQ(e.status, 400);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.retry_after, "");
  EXPECT_EQ(e.type, "INVALID_ARGUMENT");
  e = A().ClassifyError(404, {}, Data("error_not_found.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);
  e = A().ClassifyError(403, {}, Data("error_permission_denied.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);

  e = A().ClassifyError(502, {}, "<html>bad gateway</html>");
  EXPECT_EQ(e.status, 502);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.message, "gemini answered HTTP 502");
  e = A().ClassifyError(429, {}, "[" + Data("error_resource_exhausted.json") + "]");
  EXPECT_EQ(e.retry_after, "37");
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

TEST(GeminiAdapter, NumbersTravelAsWritten) {
  Result<HttpCall> call = A().BuildChat(GeminiTarget(), NumbersBody(), false);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  ExpectNumbersAsWritten(call->body, R"("temperature")", R"("topP")");
  // A seed is any integer: Gemini's to refuse one beyond its range, not the node's to round.
  EXPECT_NE(call->body.find(R"("seed":123456789012345678901234567890)"), std::string::npos);
  EXPECT_FALSE(Translate(R"([{"role":"user","content":"x"}])", R"("seed":1E+2)").ok());
}

}  // namespace
}  // namespace edge::providers::gemini
