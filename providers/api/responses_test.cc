// ResponsesApi: Responses requests to the canonical body, response objects and typed stream
// events as OpenAI documents them (golden files in testdata/), checked the way openai-node's
// stream accumulator checks them.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "providers/api/client_api.h"
#include "providers/api/test_util.h"

namespace edge::providers::api {
namespace {

using namespace apitest;  // NOLINT: the helpers of test_util.h

const ClientApi& Api() { return ResponsesApi(); }

std::string ErrorOf(const std::string& body) {
  auto r = Api().ToCanonical(body);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

std::string CanonicalOf(const std::string& body) {
  auto r = Api().ToCanonical(body);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->openai_body : "";
}

TEST(ResponsesToCanonical, MultiTurnToolsImagesInstructions) {
  auto r = Api().ToCanonical(Testdata("responses_request.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "generate");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(JsonEq(r->openai_body, Testdata("responses_request_canonical.json")));
}

TEST(ResponsesToCanonical, StringInputAndSimpleOptions) {
  EXPECT_TRUE(JsonEq(CanonicalOf(R"({"model":"m","input":"Hi","store":false,
                         "text":{"format":{"type":"json_object"}},"tool_choice":"none"})"),
                     R"({"model":"m","messages":[{"role":"user","content":"Hi"}],
                         "response_format":{"type":"json_object"}})"));
  EXPECT_TRUE(
      JsonEq(CanonicalOf(R"({"model":"m","input":[],"tool_choice":"required",
                     "tools":[{"type":"function","name":"f"}],"text":{"format":{"type":"text"}}})"),
             R"({"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f"}}],
          "tool_choice":"required"})"));
}

TEST(ResponsesToCanonical, StatefulFeaturesAreRefusedByName) {
  const std::string hint =
      " is not supported by this deployment's provider; send the full conversation";
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","previous_response_id":"resp_1"})"),
            "previous_response_id" + hint);
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"type":"item_reference","id":"msg_1"}]})"),
            "item_reference" + hint);
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","conversation":"conv_1"})"), "conversation" + hint);
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","background":true})"), "background" + hint);
  // null means absent.
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","previous_response_id":null})"), "ok");
}

TEST(ResponsesStatefulFeature, NamesWhatOnlyAPassThroughCanServe) {
  EXPECT_EQ(ResponsesStatefulFeature(R"({"model":"m","previous_response_id":"r","input":"x"})"),
            "previous_response_id");
  EXPECT_EQ(
      ResponsesStatefulFeature(
          R"({"model":"m","input":[{"role":"user","content":"x"},{"type":"item_reference"}]})"),
      "item_reference");
  EXPECT_EQ(ResponsesStatefulFeature(R"({"model":"m","input":"x","background":false})"), "");
  EXPECT_EQ(ResponsesStatefulFeature(R"({"model":"m","input":"x","previous_response_id":null})"),
            "");
  EXPECT_EQ(ResponsesStatefulFeature("not json"), "");
}

TEST(ResponsesToCanonical, MalformedRequestsNameTheProblem) {
  EXPECT_EQ(ErrorOf("nope"), "request body is not valid JSON: malformed literal at offset 0");
  EXPECT_EQ(ErrorOf(R"({"input":"x"})"), "missing required parameter: 'model'");
  EXPECT_EQ(ErrorOf(R"({"model":""})"), "'model' must not be empty");
  EXPECT_EQ(ErrorOf(R"({"model":"m"})"), "missing required parameter: 'input'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":7})"), "'input' must be a string or an array");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[3]})"), "'input[0]' must be an object");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"role":"user"}]})"),
            "missing required parameter: 'input[0].content'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"role":"tool","content":"x"}]})"),
            "'input[0].role' must be one of user, assistant, system, developer");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"role":"user","content":[
                {"type":"input_file","file_id":"file_1"}]}]})"),
            "content type 'input_file' (input[0].content[0]) is not supported by this "
            "deployment's provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"role":"user","content":[
                {"type":"input_image","file_id":"file_1"}]}]})"),
            "an input_image without image_url (input[0].content[0]) is not supported by this "
            "deployment's provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"type":"computer_call","id":"c"}]})"),
            "input item type 'computer_call' (input[0]) is not supported by this deployment's "
            "provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"type":"function_call","name":"f"}]})"),
            "missing required parameter: 'input[0].call_id'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"type":"function_call_output","call_id":"c"}]})"),
            "'input[0].output' must be a string or an array");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})"),
            "tool type 'web_search' (tools[0]) is not supported by this deployment's provider");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","max_output_tokens":-1})"),
            "'max_output_tokens' must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema"}}})"),
            "missing required parameter: 'text.format.name'");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":"x","tool_choice":"sometimes"})"),
            "'tool_choice' must be one of auto, none, required, or a function choice");
  EXPECT_EQ(ErrorOf(R"({"model":"m","input":[{"role":"assistant","content":[]}]})"), "ok");
}

TEST(ResponsesEncodeResponse, TextAnswer) {
  ChatResponse r;
  r.id = "chatcmpl-abc";
  r.created = 1741476542;
  r.text = "In Paris it is 18C.";
  r.usage = MakeUsage(36, 87, 4);
  ExpectGolden("responses_response_text.json", Api().EncodeResponse(r, "generate"));
  rapidjson::Document d;
  d.Parse(Api().EncodeResponse(r, "generate").c_str());
  EXPECT_STREQ(d["status"].GetString(), "completed");
  EXPECT_STREQ(d["output"][0]["content"][0]["text"].GetString(), "In Paris it is 18C.");
  EXPECT_EQ(d["usage"]["total_tokens"].GetInt(), 123);
  EXPECT_EQ(d["usage"]["input_tokens_details"]["cached_tokens"].GetInt(), 4);
}

TEST(ResponsesEncodeResponse, FunctionCallsAndIncomplete) {
  ChatResponse r;
  r.id = "msg_01";
  r.created = 7;
  r.tool_calls = {{"toolu_1", "get_weather", R"({"city":"Paris"})"}, {"", "get_time", ""}};
  r.finish_reason = "tool_calls";
  r.usage = MakeUsage(10, 5);
  rapidjson::Document answer;
  answer.Parse(Api().EncodeResponse(r, "generate").c_str());
  EXPECT_TRUE(JsonEq(Compact(answer["output"]),
                     R"([{"id":"fc_msg_01_0","type":"function_call","status":"completed",
                          "arguments":"{\"city\":\"Paris\"}","call_id":"toolu_1","name":"get_weather"},
                         {"id":"fc_msg_01_1","type":"function_call","status":"completed",
                          "arguments":"{}","call_id":"call_resp_msg_01_1","name":"get_time"}])"));

  ChatResponse cut;
  cut.id = "x";
  cut.text = "Once upon";
  cut.finish_reason = "length";
  rapidjson::Document d;
  d.Parse(Api().EncodeResponse(cut, "generate").c_str());
  EXPECT_STREQ(d["status"].GetString(), "incomplete");
  EXPECT_STREQ(d["incomplete_details"]["reason"].GetString(), "max_output_tokens");
  EXPECT_STREQ(d["output"][0]["status"].GetString(), "incomplete");
}

// openai-node's accumulator, reduced to its checks: response.created first; sequence
// numbers in order; `event:` equal to the data's type; items appended at the next
// output_index with unique ids; item events naming their item's id; the terminal event's
// response replacing the rebuilt one.
struct Rebuilt {
  rapidjson::Document snapshot;
  std::vector<std::string> types;
  std::string text;            // all output_text deltas
  std::string rebuilt_output;  // the output rebuilt from item events, before the end
  bool error = false;
};

void CheckItemRef(const rapidjson::Value& ev, const rapidjson::Value& output) {
  ASSERT_LT(ev["output_index"].GetUint(), output.Size());
  EXPECT_STREQ(ev["item_id"].GetString(), output[ev["output_index"].GetUint()]["id"].GetString());
}

void ApplyItemEvent(const std::string& type, rapidjson::Value& ev, rapidjson::Document& snap,
                    Rebuilt* out) {
  auto& a = snap.GetAllocator();
  auto& output = snap["output"];
  if (type == "response.output_item.added") {
    ASSERT_EQ(ev["output_index"].GetUint(), output.Size());
    output.PushBack(rapidjson::Value(ev["item"], a), a);
    return;
  }
  if (type == "response.output_item.done") {
    auto& item = output[ev["output_index"].GetUint()];
    EXPECT_STREQ(item["id"].GetString(), ev["item"]["id"].GetString());
    item.CopyFrom(ev["item"], a);
    return;
  }
  CheckItemRef(ev, output);
  auto& item = output[ev["output_index"].GetUint()];
  if (type == "response.content_part.added") {
    ASSERT_EQ(ev["content_index"].GetUint(), item["content"].Size());
    item["content"].PushBack(rapidjson::Value(ev["part"], a), a);
  } else if (type == "response.output_text.delta") {
    auto& part = item["content"][ev["content_index"].GetUint()];
    std::string text = std::string(part["text"].GetString()) + ev["delta"].GetString();
    part["text"].SetString(text.c_str(), text.size(), a);
    out->text += ev["delta"].GetString();
  } else if (type == "response.function_call_arguments.delta") {
    ASSERT_STREQ(item["type"].GetString(), "function_call");
    std::string args = std::string(item["arguments"].GetString()) + ev["delta"].GetString();
    item["arguments"].SetString(args.c_str(), args.size(), a);
  } else if (type == "response.output_text.done") {
    EXPECT_STREQ(item["content"][ev["content_index"].GetUint()]["text"].GetString(),
                 ev["text"].GetString());
  } else if (type == "response.function_call_arguments.done") {
    EXPECT_STREQ(item["arguments"].GetString(), ev["arguments"].GetString());
  } else {
    ASSERT_EQ(type, "response.content_part.done");
  }
}

void Rebuild(const std::string& stream, Rebuilt* out) {
  int64_t sequence = 0;
  for (const Event& e : ReadEvents(stream)) {
    rapidjson::Document ev;
    ev.Parse(e.data.c_str());
    ASSERT_FALSE(ev.HasParseError()) << e.data;
    const std::string type = ev["type"].GetString();
    out->types.push_back(type);
    ASSERT_EQ(e.name, type);
    ASSERT_EQ(ev["sequence_number"].GetInt64(), sequence++);
    if (type == "error") {
      out->error = true;
      EXPECT_TRUE(ev["code"].IsString() && ev["message"].IsString());  // Vercel's schema
      EXPECT_TRUE(ev["error"]["message"].IsString());
      continue;
    }
    if (!out->snapshot.IsObject()) {
      ASSERT_EQ(type, "response.created");
    }
    if (type.rfind("response.output_item", 0) == 0 || ev.HasMember("item_id")) {
      ApplyItemEvent(type, ev, out->snapshot, out);
      continue;
    }
    ASSERT_TRUE(type == "response.created" || type == "response.in_progress" ||
                type == "response.completed" || type == "response.incomplete" ||
                type == "response.failed")
        << type;
    if (out->snapshot.IsObject()) out->rebuilt_output = Compact(out->snapshot["output"]);
    out->snapshot.CopyFrom(ev["response"], out->snapshot.GetAllocator());
    std::set<std::string> ids;
    for (const auto& item : out->snapshot["output"].GetArray()) {
      EXPECT_TRUE(ids.insert(item["id"].GetString()).second) << "duplicate item id";
    }
  }
}

TEST(ResponsesStream, Text) {
  const std::string out = EncodeStream(
      Api(), StreamRequest("generate"),
      {Start("chatcmpl-S"), Text("Hi"), Text(" there"), Finish("stop")}, MakeUsage(12, 2, 1));
  ExpectGolden("responses_stream_text.sse", out);
  Rebuilt r;
  Rebuild(out, &r);
  EXPECT_EQ(r.types.front(), "response.created");
  EXPECT_EQ(r.types.back(), "response.completed");
  EXPECT_EQ(r.text, "Hi there");
  EXPECT_EQ(r.rebuilt_output, Compact(r.snapshot["output"]));
  EXPECT_EQ(r.snapshot["usage"]["input_tokens"].GetInt(), 12);
  EXPECT_EQ(r.snapshot["created_at"].GetInt(), 1718345014);
}

TEST(ResponsesStream, TextThenFunctionCalls) {
  const std::string out =
      EncodeStream(Api(), StreamRequest("generate"),
                   {Start("msg_01"), UsageDelta(MakeUsage(1, 1)), Text("Checking."),
                    ToolStart(0, "toolu_A", "get_weather"), ToolArgs(0, "{\"city\":"),
                    ToolArgs(0, "\"Paris\"}"), ToolStart(1, "", "get_time"), Finish("tool_calls")},
                   MakeUsage(50, 20));
  ExpectGolden("responses_stream_tools.sse", out);
  Rebuilt r;
  Rebuild(out, &r);
  EXPECT_EQ(r.types.back(), "response.completed");
  EXPECT_EQ(r.rebuilt_output, Compact(r.snapshot["output"]));
  const auto& output = r.snapshot["output"];
  ASSERT_EQ(output.Size(), 3u);
  EXPECT_STREQ(output[1]["arguments"].GetString(), "{\"city\":\"Paris\"}");
  EXPECT_STREQ(output[1]["call_id"].GetString(), "toolu_A");
  EXPECT_STREQ(output[2]["call_id"].GetString(), "call_resp_msg_01_1");  // tool index 1
  EXPECT_STREQ(output[2]["arguments"].GetString(), "{}");                // none came
  EXPECT_EQ(r.snapshot["usage"]["output_tokens"].GetInt(), 20);
}

TEST(ResponsesStream, CutByMaxTokensIsIncomplete) {
  const std::string out = EncodeStream(Api(), StreamRequest("generate"),
                                       {Text("Once upon"), Finish("length")}, MakeUsage(3, 2));
  Rebuilt r;
  Rebuild(out, &r);
  EXPECT_EQ(r.types.back(), "response.incomplete");
  EXPECT_STREQ(r.snapshot["status"].GetString(), "incomplete");
  EXPECT_STREQ(r.snapshot["incomplete_details"]["reason"].GetString(), "max_output_tokens");
}

TEST(ResponsesStream, FailIsErrorThenResponseFailed) {
  auto encoder = Api().NewStreamEncoder(StreamRequest("generate"));
  std::string out;
  encoder->Encode(Start("c1"), &out);
  encoder->Encode(Text("partial"), &out);
  encoder->Fail("upstream reset", &out);
  Rebuilt r;
  Rebuild(out, &r);
  ASSERT_GE(r.types.size(), 2u);
  EXPECT_EQ(r.types[r.types.size() - 2], "error");
  EXPECT_EQ(r.types.back(), "response.failed");
  EXPECT_TRUE(r.error);
  EXPECT_STREQ(r.snapshot["status"].GetString(), "failed");
  EXPECT_STREQ(r.snapshot["error"]["message"].GetString(), "upstream reset");
  EXPECT_STREQ(r.snapshot["output"][0]["status"].GetString(), "incomplete");
  EXPECT_STREQ(r.snapshot["output"][0]["content"][0]["text"].GetString(), "partial");
}

TEST(ResponsesErrorBody, OpenAiShape) {
  EXPECT_TRUE(JsonEq(Api().ErrorBody(429, "budget exhausted", "budget_exceeded"),
                     R"({"error":{"message":"budget exhausted","type":"rate_limit_error",
                         "code":"budget_exceeded"}})"));
  EXPECT_TRUE(JsonEq(Api().ErrorBody(400, "bad", ""),
                     R"({"error":{"message":"bad","type":"invalid_request_error","code":null}})"));
}

}  // namespace
}  // namespace edge::providers::api
