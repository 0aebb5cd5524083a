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

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

Status Bad(std::string message) { return InvalidArgument("gemini: " + std::move(message)); }
Status Unsupported(std::string_view what) {
  return InvalidArgument("gemini does not support " + std::string(what));
}

// Gemini has penalties and a thinking budget; the rest of what changes the answer and has
// no Gemini equivalent is refused.
constexpr ParamSupport kSupport{.provider = "gemini", .penalties = true, .reasoning_effort = true};

// A number member, written as given (Gemini's ranges match OpenAI's for these).
Status Number(const char* key, const char* name, const std::optional<dom::element>& v,
              JsonWriter& w) {
  if (!v) return Status::Ok();
  if (!v->is_number()) return Bad(std::string("'").append(name).append("' must be a number"));
  Key(w, key);
  Element(w, *v);
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

Status Stop(const std::optional<dom::element>& stop, JsonWriter& w) {
  if (!stop) return Status::Ok();
  Result<std::vector<std::string_view>> list = StopSequences(*stop);
  if (!list.ok()) return Bad(list.status().message());
  Key(w, "stopSequences");
  w.StartArray();
  for (std::string_view s : *list) String(w, s);
  w.EndArray();
  return Status::Ok();
}

Status ResponseFormat(const std::optional<dom::element>& format, JsonWriter& w) {
  if (!format) return Status::Ok();
  std::string_view type;
  if ((*format)["type"].get_string().get(type) != SUCCESS) {
    return Bad("'response_format' needs a type");
  }
  if (type == "text") return Status::Ok();
  if (type != "json_object" && type != "json_schema") {
    return Unsupported("response_format type '" + std::string(type) + "'");
  }
  Key(w, "responseMimeType");
  String(w, "application/json");
  dom::object schema;
  if (type == "json_schema" &&
      (*format)["json_schema"]["schema"].get_object().get(schema) == SUCCESS) {
    Key(w, "responseJsonSchema");
    Element(w, schema);
  }
  return Status::Ok();
}

Status Thinking(const std::optional<dom::element>& effort, JsonWriter& w) {
  if (!effort) return Status::Ok();
  std::string_view s;
  if (effort->get_string().get(s) != SUCCESS) return Bad("'reasoning_effort' must be a string");
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
  if (p.seed && !p.seed->is_int64()) return Bad("'seed' must be an integer");
  EDGE_RETURN_IF_ERROR(Number("seed", "seed", p.seed, w));
  EDGE_RETURN_IF_ERROR(Stop(p.stop, w));
  EDGE_RETURN_IF_ERROR(ResponseFormat(p.response_format, w));
  EDGE_RETURN_IF_ERROR(Thinking(p.reasoning_effort, w));
  w.EndObject();
  return Status::Ok();
}

Status Tools(const std::optional<dom::element>& tools, JsonWriter& w) {
  dom::array list;
  if (!tools) return Status::Ok();
  if (tools->get_array().get(list) != SUCCESS) return Bad("'tools' must be an array");
  if (list.size() == 0) return Status::Ok();
  Key(w, "tools");
  w.StartArray();
  w.StartObject();
  Key(w, "functionDeclarations");
  w.StartArray();
  for (dom::element tool : list) {
    std::string_view type, name, description;
    dom::object fn, params;
    if (tool["type"].get_string().get(type) != SUCCESS || type != "function") {
      return Unsupported("tools other than functions");
    }
    if (tool["function"].get_object().get(fn) != SUCCESS ||
        fn["name"].get_string().get(name) != SUCCESS || name.empty()) {
      return Bad("a tool without function.name");
    }
    w.StartObject();
    Key(w, "name");
    String(w, name);
    if (fn["description"].get_string().get(description) == SUCCESS) {
      Key(w, "description");
      String(w, description);
    }
    if (fn["parameters"].get_object().get(params) == SUCCESS) {
      Key(w, "parametersJsonSchema");
      Element(w, params);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  return Status::Ok();
}

Status ToolChoice(const std::optional<dom::element>& choice, JsonWriter& w) {
  if (!choice) return Status::Ok();
  std::string_view s, name;
  const char* mode = nullptr;
  if (choice->get_string().get(s) == SUCCESS) {
    mode = s == "none" ? "NONE" : s == "auto" ? "AUTO" : s == "required" ? "ANY" : nullptr;
  } else if ((*choice)["function"]["name"].get_string().get(name) == SUCCESS) {
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
  JsonLease lease;
  dom::element root;
  if (auto err = lease.Parse(openai_body, &root); err != SUCCESS) {
    return InvalidArgument("request body is not valid JSON: " + JsonError(err));
  }
  dom::object body;
  if (root.get_object().get(body) != SUCCESS) {
    return InvalidArgument("request body must be a JSON object");
  }
  EDGE_RETURN_IF_ERROR(CheckSupported(body, kSupport));
  const ChatParams p = ReadChatParams(body);
  if (!p.messages || !p.messages->is_array()) return Bad("'messages' must be an array");
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  EDGE_RETURN_IF_ERROR(WriteContents(p.messages->get_array().value_unsafe(), w));
  EDGE_RETURN_IF_ERROR(Tools(p.tools, w));
  EDGE_RETURN_IF_ERROR(ToolChoice(p.tool_choice, w));
  EDGE_RETURN_IF_ERROR(GenerationConfig(p, w));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::gemini::internal
