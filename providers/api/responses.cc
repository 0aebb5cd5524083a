// The OpenAI Responses API (POST /v1/responses): response objects and their typed stream
// events. Requests are converted in responses_request.cc.
//
// The SDKs rebuild the response from the events and check it as they go (openai-node's
// accumulator): response.created first; each output item added at the next output_index
// with a unique non-empty id (function calls: a call_id too); every item event names its
// item's id; the terminal event (response.completed / incomplete / failed) carries the whole
// response, which replaces what was rebuilt.

#include "providers/api/responses_output.h"

namespace edge::providers::api {
namespace internal {

std::string ResponseId(std::string_view id) { return PrefixedId("resp_", id, "edge"); }

std::string ItemId(std::string_view prefix, std::string_view response_id, size_t index) {
  std::string id(prefix);
  id += response_id.substr(5);  // after "resp_"
  id += '_';
  id += std::to_string(index);
  return id;
}

void WriteUsage(JsonWriter& w, const Usage& u) {
  w.StartObject();
  Key(w, "input_tokens");
  w.Int64(u.input_tokens);
  Key(w, "input_tokens_details");
  w.StartObject();
  Key(w, "cached_tokens");
  w.Int64(u.cached_input_tokens);
  w.EndObject();
  Key(w, "output_tokens");
  w.Int64(u.output_tokens);
  Key(w, "output_tokens_details");
  w.StartObject();
  Key(w, "reasoning_tokens");
  w.Int64(u.reasoning_tokens);
  w.EndObject();
  Key(w, "total_tokens");
  w.Int64(AddTokens(u.input_tokens, u.output_tokens));
  w.EndObject();
}

void WriteTextPart(JsonWriter& w, std::string_view text) {
  w.StartObject();
  KeyString(w, "type", "output_text");
  Key(w, "annotations");
  w.StartArray();
  w.EndArray();
  Key(w, "logprobs");
  w.StartArray();
  w.EndArray();
  KeyString(w, "text", text);
  w.EndObject();
}

void WriteItem(JsonWriter& w, const OutputItem& item, std::string_view status) {
  w.StartObject();
  KeyString(w, "id", item.id);
  if (item.is_call) {
    KeyString(w, "type", "function_call");
    KeyString(w, "status", status);
    KeyString(w, "arguments", item.text);
    KeyString(w, "call_id", item.call_id);
    KeyString(w, "name", item.name);
  } else {
    KeyString(w, "type", "message");
    KeyString(w, "status", status);
    Key(w, "content");
    w.StartArray();
    if (status != "in_progress") WriteTextPart(w, item.text);
    w.EndArray();
    KeyString(w, "role", "assistant");
  }
  w.EndObject();
}

std::string_view ItemStatus(const OutputItem& item, std::string_view response_status) {
  if (response_status == "completed") return "completed";
  if (response_status == "incomplete")
    return item.is_call && item.done ? "completed" : "incomplete";
  return item.done ? "completed" : "incomplete";
}

namespace {

// The request settings a response echoes. The encoders do not see the request (only its
// canonical form), so OpenAI's defaults are shown; SDKs do not read them back.
void WriteSettings(JsonWriter& w) {
  Key(w, "parallel_tool_calls");
  w.Bool(true);
  Key(w, "previous_response_id");
  w.Null();
  Key(w, "reasoning");
  w.StartObject();
  Key(w, "effort");
  w.Null();
  Key(w, "summary");
  w.Null();
  w.EndObject();
  Key(w, "store");
  w.Bool(false);
  Key(w, "temperature");
  w.Null();
  Key(w, "text");
  w.StartObject();
  Key(w, "format");
  w.StartObject();
  KeyString(w, "type", "text");
  w.EndObject();
  w.EndObject();
  KeyString(w, "tool_choice", "auto");
  Key(w, "tools");
  w.StartArray();
  w.EndArray();
  Key(w, "top_p");
  w.Null();
  KeyString(w, "truncation", "disabled");
}

}  // namespace

void WriteResponse(JsonWriter& w, const ResponseHead& head, const std::vector<OutputItem>& output) {
  w.StartObject();
  KeyString(w, "id", head.id);
  KeyString(w, "object", "response");
  Key(w, "created_at");
  w.Int64(head.created_at);
  KeyString(w, "status", head.status);
  Key(w, "background");
  w.Bool(false);
  Key(w, "error");
  if (head.status == "failed") {
    w.StartObject();
    KeyString(w, "code", "server_error");
    KeyString(w, "message", head.error_message);
    w.EndObject();
  } else {
    w.Null();
  }
  Key(w, "incomplete_details");
  if (head.status == "incomplete") {
    w.StartObject();
    KeyString(w, "reason", head.incomplete_reason);
    w.EndObject();
  } else {
    w.Null();
  }
  Key(w, "instructions");
  w.Null();
  Key(w, "max_output_tokens");
  w.Null();
  KeyString(w, "model", head.model);
  Key(w, "output");
  w.StartArray();
  if (head.status != "in_progress") {
    for (const OutputItem& item : output) WriteItem(w, item, ItemStatus(item, head.status));
  }
  w.EndArray();
  WriteSettings(w);
  Key(w, "usage");
  if (head.usage != nullptr) {
    WriteUsage(w, *head.usage);
  } else {
    w.Null();
  }
  Key(w, "user");
  w.Null();
  Key(w, "metadata");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

std::string_view StatusFor(std::string_view finish_reason, std::string_view* reason) {
  if (finish_reason == "length") {
    *reason = "max_output_tokens";
    return "incomplete";
  }
  if (finish_reason == "content_filter") {
    *reason = "content_filter";
    return "incomplete";
  }
  return "completed";
}

}  // namespace internal

namespace {

using internal::JsonWriter;
using internal::OutputItem;

class Responses : public ClientApi {
 public:
  Result<CanonicalRequest> ToCanonical(std::string_view body) const override {
    return internal::ResponsesToCanonical(body);
  }

  std::string EncodeResponse(const ChatResponse& r, std::string_view model) const override {
    internal::ResponseHead head;
    head.id = internal::ResponseId(r.id);
    head.created_at = r.created;
    head.model = model;
    head.status = internal::StatusFor(r.finish_reason, &head.incomplete_reason);
    head.usage = &r.usage;
    std::vector<OutputItem> output;
    if (!r.text.empty() || r.tool_calls.empty()) {
      OutputItem& message = output.emplace_back();
      message.id = internal::ItemId("msg_", head.id, 0);
      message.text = r.text;
    }
    for (size_t i = 0; i < r.tool_calls.size(); ++i) {
      const ToolCall& call = r.tool_calls[i];
      OutputItem& item = output.emplace_back();
      item.is_call = true;
      item.done = true;
      item.id = internal::ItemId("fc_", head.id, output.size() - 1);
      item.call_id = internal::ToolCallId("call_", call.id, head.id, static_cast<int>(i));
      item.name = call.name;
      item.text.assign(internal::ArgumentsOrEmpty(call.arguments));
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    internal::WriteResponse(w, head, output);
    return std::string(buf.GetString(), buf.GetSize());
  }

  std::unique_ptr<StreamEncoder> NewStreamEncoder(const CanonicalRequest& request) const override {
    return internal::NewResponsesStreamEncoder(request);
  }

  std::string ErrorBody(int status, std::string_view message,
                        std::string_view code) const override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    internal::WriteOpenAiError(w, status, message, code);
    return std::string(buf.GetString(), buf.GetSize());
  }
};

}  // namespace

const ClientApi& ResponsesApi() {
  static const Responses api;
  return api;
}

}  // namespace edge::providers::api
