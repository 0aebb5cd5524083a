// OpenAI chat.completions body -> Messages API body: the parameters (messages.cc does the
// conversation).
//
// What has no Anthropic equivalent and would change the answer (n > 1, logprobs, penalties,
// logit_bias, audio, predicted outputs, legacy functions, reasoning_effort) is refused with
// InvalidArgument naming it rather than silently dropped (openai_params.h, CheckSupported).
// What only concerns OpenAI's service (seed, store, metadata, service_tier, stream_options;
// Anthropic always reports usage) and members this code does not know are ignored, so that
// new OpenAI SDK defaults do not break every Anthropic deployment.
//
// response_format: json_schema becomes output_config.format (Anthropic's structured
// outputs); json_object has no equivalent and is ignored: OpenAI itself requires the
// messages to ask for JSON in that mode, so the model is asked anyway.

#include <string>
#include <string_view>
#include <vector>

#include "providers/anthropic/internal.h"
#include "providers/anthropic/request_internal.h"
#include "providers/json_text.h"
#include "providers/json_tree.h"
#include "providers/openai_params.h"

namespace edge::providers::anthropic::internal {
namespace {

constexpr ParamSupport kSupport{.provider = "anthropic"};

using ChatParams = ChatParams;

Result<int64_t> MaxTokensOrDefault(const ChatParams& p) {
  EDGE_ASSIGN_OR_RETURN(const std::optional<int64_t> n, MaxTokens(p));
  return n.value_or(kDefaultMaxTokens);
}

// A number in [0, 1]: Anthropic's range for temperature and top_p (OpenAI's temperature
// goes to 2; rescaling would change its meaning, so above 1 is refused). Written as the
// client spelled it.
Status WriteUnitNumber(const char* key, const JsonNode* v, Writer& w) {
  if (v == nullptr) return Status::Ok();
  const std::optional<double> d = NumberValue(*v);
  if (!d || !(*d >= 0 && *d <= 1)) {
    return InvalidArgument(std::string("'") + key + "' must be a number from 0 to 1 for anthropic");
  }
  w.Key(key);
  WriteJson(w, *v);
  return Status::Ok();
}

Status WriteStop(const JsonNode* stop, Writer& w) {
  if (stop == nullptr) return Status::Ok();
  EDGE_ASSIGN_OR_RETURN(const std::vector<std::string_view> list, StopSequences(*stop));
  if (list.empty()) return Status::Ok();
  w.Key("stop_sequences");
  w.StartArray();
  for (std::string_view s : list) WriteString(s, w);
  w.EndArray();
  return Status::Ok();
}

Status WriteTools(const JsonNode* tools, Writer& w) {
  if (tools == nullptr) return Status::Ok();
  if (!tools->IsArray()) return InvalidArgument("'tools' must be an array");
  if (tools->Empty()) return Status::Ok();
  w.Key("tools");
  w.StartArray();
  size_t i = 0;
  for (const JsonNode& tool : *tools) {
    const std::string at = "tools[" + std::to_string(i++) + "]";
    std::string_view type, name, description;
    if (!GetString(Get(tool, "type"), &type) || type != "function") {
      return InvalidArgument(at + ": only tools of type 'function' are supported by anthropic");
    }
    const JsonNode* fn = Get(tool, "function");
    if (!GetString(Get(fn, "name"), &name) || name.empty()) {
      return InvalidArgument(at + ".function.name must be a non-empty string");
    }
    w.StartObject();
    w.Key("name");
    WriteString(name, w);
    if (GetString(Get(fn, "description"), &description)) {
      w.Key("description");
      WriteString(description, w);
    }
    w.Key("input_schema");
    if (const JsonNode* schema = Get(fn, "parameters"); schema != nullptr && schema->IsObject()) {
      WriteJson(w, *schema);
    } else {  // OpenAI allows a function without parameters; Anthropic needs a schema
      constexpr std::string_view kEmpty = R"({"type":"object","properties":{}})";
      w.RawValue(kEmpty.data(), kEmpty.size(), rapidjson::kObjectType);
    }
    w.EndObject();
  }
  w.EndArray();
  return Status::Ok();
}

// tool_choice, and parallel_tool_calls false as disable_parallel_tool_use.
Status WriteToolChoice(const ChatParams& p, Writer& w) {
  bool parallel = true;
  if (p.parallel_tool_calls != nullptr) {
    if (!p.parallel_tool_calls->IsBool()) {
      return InvalidArgument("'parallel_tool_calls' must be a boolean");
    }
    parallel = p.parallel_tool_calls->GetBool();
  }
  const bool have_tools = p.tools != nullptr && p.tools->IsArray() && !p.tools->Empty();
  // Anthropic refuses tool_choice without tools; OpenAI callers send "none" or "auto" alone.
  if (!have_tools || (!p.tool_choice && parallel)) return Status::Ok();
  std::string_view mode = "auto", name;
  if (p.tool_choice != nullptr && !GetString(p.tool_choice, &mode)) {
    std::string_view type;
    if (!GetString(Get(p.tool_choice, "type"), &type) || type != "function" ||
        !GetString(Get(Get(p.tool_choice, "function"), "name"), &name)) {
      return InvalidArgument(
          "'tool_choice' must be auto, none, required or {type: function, function: {name}}");
    }
    mode = "tool";
  }
  if (mode == "required") mode = "any";
  if (mode != "auto" && mode != "none" && mode != "any" && mode != "tool") {
    return InvalidArgument("'tool_choice' '" + std::string(mode) + "' is not supported");
  }
  w.Key("tool_choice");
  w.StartObject();
  w.Key("type");
  WriteString(mode, w);
  if (mode == "tool") {
    w.Key("name");
    WriteString(name, w);
  }
  if (!parallel && mode != "none") {
    w.Key("disable_parallel_tool_use");
    w.Bool(true);
  }
  w.EndObject();
  return Status::Ok();
}

Status WriteResponseFormat(const JsonNode* format, Writer& w) {
  if (format == nullptr) return Status::Ok();
  std::string_view type;
  if (!GetString(Get(format, "type"), &type)) {
    return InvalidArgument("'response_format' must be an object with a string 'type'");
  }
  if (type == "text" || type == "json_object") return Status::Ok();
  const JsonNode* schema = Get(Get(format, "json_schema"), "schema");
  if (type != "json_schema" || schema == nullptr || !schema->IsObject()) {
    return InvalidArgument(
        "'response_format' must be text, json_object, or json_schema "
        "with a 'json_schema.schema' object");
  }
  w.Key("output_config");
  w.StartObject();
  w.Key("format");
  w.StartObject();
  w.Key("type");
  w.String("json_schema");
  w.Key("schema");
  WriteJson(w, *schema);
  w.EndObject();
  w.EndObject();
  return Status::Ok();
}

Status WriteBody(const ChatParams& p, std::string_view model, bool stream, Writer& w) {
  EDGE_ASSIGN_OR_RETURN(const int64_t max_tokens, MaxTokensOrDefault(p));
  w.StartObject();
  w.Key("model");
  WriteString(model, w);
  w.Key("max_tokens");
  w.Int64(max_tokens);
  if (!p.messages->IsArray() || p.messages->Empty()) {
    return InvalidArgument("'messages' must be a non-empty array");
  }
  EDGE_RETURN_IF_ERROR(WriteConversation(*p.messages, w));
  EDGE_RETURN_IF_ERROR(WriteStop(p.stop, w));
  EDGE_RETURN_IF_ERROR(WriteUnitNumber("temperature", p.temperature, w));
  EDGE_RETURN_IF_ERROR(WriteUnitNumber("top_p", p.top_p, w));
  EDGE_RETURN_IF_ERROR(WriteTools(p.tools, w));
  EDGE_RETURN_IF_ERROR(WriteToolChoice(p, w));
  EDGE_RETURN_IF_ERROR(WriteResponseFormat(p.response_format, w));
  std::string_view user;
  if (GetString(p.user, &user) && !user.empty()) {
    w.Key("metadata");
    w.StartObject();
    w.Key("user_id");
    WriteString(user, w);
    w.EndObject();
  }
  if (stream) {
    w.Key("stream");
    w.Bool(true);
  }
  w.EndObject();
  return Status::Ok();
}

}  // namespace

Status WriteArguments(std::string_view arguments, const std::string& where, Writer& w) {
  size_t first = 0;
  while (first < arguments.size() && IsJsonSpace(arguments[first])) ++first;
  if (first == arguments.size()) {
    w.StartObject();  // a call without arguments: OpenAI sends "", Anthropic wants {}
    w.EndObject();
    return Status::Ok();
  }
  if (arguments[first] != '{') return InvalidArgument(where + " must be a JSON object");
  // The client's text, numbers as written; duplicate keys pass as they came, since the node
  // reads nothing inside.
  JsonTree tree;
  if (Status s = tree.Parse(arguments, kCanonicalJson); !s.ok()) {
    return InvalidArgument(where + " " + s.message());
  }
  WriteJson(w, tree.root());
  return Status::Ok();
}

Result<std::string> MessagesBody(std::string_view openai_body, std::string_view model,
                                 bool stream) {
  // The canonical body was checked when it arrived (duplicate keys refused, depth at most
  // 1024), so the tree keeps duplicates rather than judging them again.
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseCanonicalBody(openai_body, &tree));
  const JsonNode& body = tree.root();
  EDGE_RETURN_IF_ERROR(CheckSupported(body, kSupport));
  const ChatParams params = ReadChatParams(body);
  if (params.messages == nullptr || !params.messages->IsArray()) {
    return InvalidArgument("'messages' must be a non-empty array");
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  EDGE_RETURN_IF_ERROR(WriteBody(params, model, stream, w));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::anthropic::internal
