// OpenAI chat.completions body -> GenerateContentRequest body: the parameters (contents.cc
// does the conversation).
//
// Mapped: max_tokens / max_completion_tokens -> maxOutputTokens, temperature, top_p -> topP,
// stop -> stopSequences, presence/frequency_penalty, seed, response_format (json_object ->
// responseMimeType; json_schema -> responseMimeType + responseJsonSchema), reasoning_effort
// -> thinkingConfig.thinkingBudget (the budgets of Google's own OpenAI-compatible endpoint),
// tools -> functionDeclarations, tool_choice -> toolConfig.functionCallingConfig.
// OpenAI tool parameters are JSON Schema, so they go to parametersJsonSchema: `parameters`
// takes only an OpenAPI subset and rejects additionalProperties, $ref, anyOf and the like.
// Refused, naming them, because the answer would differ (openai_params.h, CheckSupported):
// n > 1 (only candidate 0 is read), logprobs, logit_bias, audio output, predicted outputs,
// legacy functions. Members that only concern OpenAI's service (store, metadata, user,
// service_tier, stream_options, parallel_tool_calls) and unknown ones are ignored.

#include <string>
#include <string_view>
#include <vector>

#include "providers/gemini/internal.h"
#include "providers/openai_params.h"

namespace edge::providers::gemini::internal {
namespace {

using ChatParams = ChatParams;

Status Unsupported(std::string_view what) {
  return InvalidArgument("gemini does not support " + std::string(what));
}

// Gemini has penalties and a thinking budget; the rest of what changes the answer and has
// no Gemini equivalent is refused.
constexpr ParamSupport kSupport{.provider = "gemini", .penalties = true, .reasoning_effort = true};

// A number written without fraction or exponent (an integer of any size).
bool IsJsonInteger(const JsonNode& v) {
  return v.IsNumber() && v.text().find_first_of(".eE") == std::string_view::npos;
}

// A number member, written as the client spelled it (Gemini's ranges match OpenAI's for
// these).
Status Number(const char* key, const char* name, const JsonNode* v, JsonWriter& w) {
  if (v == nullptr) return Status::Ok();
  if (!v->IsNumber()) return Bad(std::string("'").append(name).append("' must be a number"));
  Key(w, key);
  WriteJson(w, *v);
  return Status::Ok();
}

Status MaxTokens(const ChatParams& p, JsonWriter& w) {
  Result<std::optional<int64_t>> n = providers::MaxTokens(p);
  if (!n.ok()) return Bad(n.status().message());
  if (!n->has_value()) return Status::Ok();
  Key(w, "maxOutputTokens");
  w.Int64(**n);
  return Status::Ok();
}

Status Stop(const JsonNode* stop, JsonWriter& w) {
  if (stop == nullptr) return Status::Ok();
  Result<std::vector<std::string_view>> list = StopSequences(*stop);
  if (!list.ok()) return Bad(list.status().message());
  Key(w, "stopSequences");
  w.StartArray();
  for (std::string_view s : *list) String(w, s);
  w.EndArray();
  return Status::Ok();
}

Status ResponseFormat(const JsonNode* format, JsonWriter& w) {
  if (format == nullptr) return Status::Ok();
  std::string_view type;
  if (!GetString(Get(format, "type"), &type)) {
    return Bad("'response_format' needs a type");
  }
  if (type == "text") return Status::Ok();
  if (type != "json_object" && type != "json_schema") {
    return Unsupported("response_format type '" + std::string(type) + "'");
  }
  Key(w, "responseMimeType");
  String(w, "application/json");
  const JsonNode* schema = Get(Get(format, "json_schema"), "schema");
  if (type == "json_schema" && schema != nullptr && schema->IsObject()) {
    Key(w, "responseJsonSchema");
    WriteJson(w, *schema);
  }
  return Status::Ok();
}

Status Thinking(const JsonNode* effort, JsonWriter& w) {
  if (effort == nullptr) return Status::Ok();
  std::string_view s;
  if (!GetString(effort, &s)) return Bad("'reasoning_effort' must be a string");
  const int64_t budget = s == "none" || s == "minimal" ? 0
                         : s == "low"                  ? 1024
                         : s == "medium"               ? 8192
                         : s == "high"                 ? 24576
                                                       : -1;
  if (budget < 0) return Bad("unknown reasoning_effort '" + std::string(s) + "'");
  Key(w, "thinkingConfig");
  w.StartObject();
  Key(w, "thinkingBudget");
  w.Int64(budget);
  w.EndObject();
  return Status::Ok();
}

Status GenerationConfig(const ChatParams& p, JsonWriter& w) {
  if (!p.max_tokens && !p.max_completion_tokens && !p.stop && !p.temperature && !p.top_p &&
      !p.presence_penalty && !p.frequency_penalty && !p.seed && !p.response_format &&
      !p.reasoning_effort) {
    return Status::Ok();
  }
  Key(w, "generationConfig");
  w.StartObject();
  EDGE_RETURN_IF_ERROR(MaxTokens(p, w));
  EDGE_RETURN_IF_ERROR(Number("temperature", "temperature", p.temperature, w));
  EDGE_RETURN_IF_ERROR(Number("topP", "top_p", p.top_p, w));
  EDGE_RETURN_IF_ERROR(Number("presencePenalty", "presence_penalty", p.presence_penalty, w));
  EDGE_RETURN_IF_ERROR(Number("frequencyPenalty", "frequency_penalty", p.frequency_penalty, w));
  // An integer, of any size: Gemini's is an int32, and it is Gemini's to refuse a larger one.
  if (p.seed != nullptr && !IsJsonInteger(*p.seed)) return Bad("'seed' must be an integer");
  EDGE_RETURN_IF_ERROR(Number("seed", "seed", p.seed, w));
  EDGE_RETURN_IF_ERROR(Stop(p.stop, w));
  EDGE_RETURN_IF_ERROR(ResponseFormat(p.response_format, w));
  EDGE_RETURN_IF_ERROR(Thinking(p.reasoning_effort, w));
  w.EndObject();
  return Status::Ok();
}

Status Tools(const JsonNode* tools, JsonWriter& w) {
  if (tools == nullptr) return Status::Ok();
  if (!tools->IsArray()) return Bad("'tools' must be an array");
  if (tools->Empty()) return Status::Ok();
  Key(w, "tools");
  w.StartArray();
  w.StartObject();
  Key(w, "functionDeclarations");
  w.StartArray();
  for (const JsonNode& tool : *tools) {
    std::string_view type, name, description;
    if (!GetString(Get(tool, "type"), &type) || type != "function") {
      return Unsupported("tools other than functions");
    }
    const JsonNode* fn = Get(tool, "function");
    if (fn == nullptr || !fn->IsObject() || !GetString(Get(fn, "name"), &name) || name.empty()) {
      return Bad("a tool without function.name");
    }
    w.StartObject();
    Key(w, "name");
    String(w, name);
    if (GetString(Get(fn, "description"), &description)) {
      Key(w, "description");
      String(w, description);
    }
    if (const JsonNode* params = Get(fn, "parameters"); params != nullptr && params->IsObject()) {
      Key(w, "parametersJsonSchema");
      WriteJson(w, *params);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  return Status::Ok();
}

Status ToolChoice(const JsonNode* choice, JsonWriter& w) {
  if (choice == nullptr) return Status::Ok();
  std::string_view s, name;
  const char* mode = nullptr;
  if (GetString(choice, &s)) {
    mode = s == "none" ? "NONE" : s == "auto" ? "AUTO" : s == "required" ? "ANY" : nullptr;
  } else if (GetString(Get(Get(choice, "function"), "name"), &name)) {
    mode = "ANY";
  }
  if (mode == nullptr) return Bad("'tool_choice' must be none, auto, required or a function");
  Key(w, "toolConfig");
  w.StartObject();
  Key(w, "functionCallingConfig");
  w.StartObject();
  Key(w, "mode");
  String(w, mode);
  if (!name.empty()) {
    Key(w, "allowedFunctionNames");
    w.StartArray();
    String(w, name);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return Status::Ok();
}

}  // namespace

Result<std::string> GenerateContentBody(std::string_view openai_body) {
  // The canonical body was checked when it arrived (duplicate keys refused, depth at most
  // 1024), so the tree keeps duplicates rather than judging them again.
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseCanonicalBody(openai_body, &tree));
  const JsonNode& body = tree.root();
  EDGE_RETURN_IF_ERROR(CheckSupported(body, kSupport));
  const ChatParams p = ReadChatParams(body);
  if (p.messages == nullptr || !p.messages->IsArray()) return Bad("'messages' must be an array");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  EDGE_RETURN_IF_ERROR(WriteContents(*p.messages, w));
  EDGE_RETURN_IF_ERROR(Tools(p.tools, w));
  EDGE_RETURN_IF_ERROR(ToolChoice(p.tool_choice, w));
  EDGE_RETURN_IF_ERROR(GenerationConfig(p, w));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::gemini::internal
