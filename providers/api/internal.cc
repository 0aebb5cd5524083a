#include "providers/api/internal.h"

#include <algorithm>

namespace edge::providers::api::internal {

Status ParseRequest(std::string_view body, JsonTree* doc) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("request body is empty; expected a JSON object");
  }
  JsonReadOptions options;
  options.max_depth = kMaxDepth;
  if (Status s = doc->Parse(body, options); !s.ok()) {
    return InvalidArgument("request body " + s.message());
  }
  if (!doc->root().IsObject()) return InvalidArgument("request body must be a JSON object");
  return Status::Ok();
}

std::string Path(std::string_view parent, std::string_view name) {
  std::string out(parent);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

std::string Path(std::string_view parent, size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

Status Missing(std::string_view path) {
  return InvalidArgument("missing required parameter: '" + std::string(path) + "'");
}

Status WrongType(std::string_view path, std::string_view what) {
  return InvalidArgument("'" + std::string(path) + "' must be " + std::string(what));
}

const Json* Find(const Json& obj, std::string_view name) {
  const Json* v = obj.Find(name);
  return v == nullptr || v->IsNull() ? nullptr : v;
}

Status ReadString(const Json& obj, std::string_view parent, std::string_view name, bool required,
                  std::string_view* out) {
  const Json* v = Find(obj, name);
  if (v == nullptr) return required ? Missing(Path(parent, name)) : Status::Ok();
  if (!v->IsString()) return WrongType(Path(parent, name), "a string");
  *out = View(*v);
  return Status::Ok();
}

Status ReadBool(const Json& obj, std::string_view parent, std::string_view name, bool* out) {
  const Json* v = Find(obj, name);
  if (v == nullptr) return Status::Ok();
  if (!v->IsBool()) return WrongType(Path(parent, name), "a boolean");
  *out = v->GetBool();
  return Status::Ok();
}

void String(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void KeyString(JsonWriter& w, std::string_view key, std::string_view value) {
  Key(w, key);
  String(w, value);
}

void NullableString(JsonWriter& w, std::string_view s) {
  if (s.empty()) {
    w.Null();
  } else {
    String(w, s);
  }
}

std::string Serialize(const Json& v) { return ToJsonText(v); }

Status CopyNumber(const Json& obj, std::string_view parent, std::string_view name,
                  std::string_view out_key, JsonWriter& w) {
  const Json* v = Find(obj, name);
  if (v == nullptr) return Status::Ok();
  if (!v->IsNumber()) return WrongType(Path(parent, name), "a number");
  Key(w, out_key);
  WriteJson(w, *v);  // as the client wrote it
  return Status::Ok();
}

Status CopyPositiveInt(const Json& obj, std::string_view parent, std::string_view name,
                       bool required, std::string_view out_key, JsonWriter& w) {
  const Json* v = Find(obj, name);
  if (v == nullptr) return required ? Missing(Path(parent, name)) : Status::Ok();
  const std::optional<int64_t> n = v->Int64();
  if (!n || *n < 1) return WrongType(Path(parent, name), "a positive integer");
  Key(w, out_key);
  w.Int64(*n);
  return Status::Ok();
}

void AppendEvent(std::string* out, std::string_view name, const rapidjson::StringBuffer& json) {
  if (!name.empty()) {
    out->append("event: ");
    out->append(name);
    out->push_back('\n');
  }
  out->append("data: ");
  out->append(json.GetString(), json.GetSize());
  out->append("\n\n");
}

std::string PrefixedId(std::string_view prefix, std::string_view id, std::string_view fallback) {
  if (id.empty()) id = fallback;
  if (id.substr(0, prefix.size()) == prefix) return std::string(id);
  std::string out(prefix);
  out += id;
  return out;
}

std::string ToolCallId(std::string_view prefix, std::string_view id, std::string_view answer_id,
                       int index) {
  if (!id.empty()) return std::string(id);
  std::string out(prefix);
  out += answer_id;
  out += '_';
  out += std::to_string(index);
  return out;
}

void WriteMessage(JsonWriter& w, std::string_view role, const std::vector<Part>& parts) {
  w.StartObject();
  KeyString(w, "role", role);
  Key(w, "content");
  if (parts.size() == 1 && parts[0].kind == Part::Kind::kText) {
    String(w, parts[0].text);
  } else {
    w.StartArray();
    for (const Part& p : parts) {
      w.StartObject();
      if (p.kind == Part::Kind::kText) {
        KeyString(w, "type", "text");
        KeyString(w, "text", p.text);
      } else {
        KeyString(w, "type", "image_url");
        Key(w, "image_url");
        w.StartObject();
        KeyString(w, "url", p.url);
        if (!p.detail.empty()) KeyString(w, "detail", p.detail);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

void WriteToolMessage(JsonWriter& w, std::string_view tool_call_id, std::string_view text) {
  w.StartObject();
  KeyString(w, "role", "tool");
  KeyString(w, "tool_call_id", tool_call_id);
  KeyString(w, "content", text);
  w.EndObject();
}

void WriteAssistantMessage(JsonWriter& w, std::string_view text,
                           const std::vector<CallOut>& calls) {
  w.StartObject();
  KeyString(w, "role", "assistant");
  Key(w, "content");
  if (text.empty() && !calls.empty()) {
    w.Null();
  } else {
    String(w, text);
  }
  if (!calls.empty()) {
    Key(w, "tool_calls");
    w.StartArray();
    for (const CallOut& call : calls) {
      w.StartObject();
      KeyString(w, "id", call.id);
      KeyString(w, "type", "function");
      Key(w, "function");
      w.StartObject();
      KeyString(w, "name", call.name);
      KeyString(w, "arguments", call.arguments);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

Status ReadModel(const Json& root, CanonicalRequest* req) {
  std::string_view model;
  EDGE_RETURN_IF_ERROR(ReadString(root, "", "model", true, &model));
  if (model.empty()) return InvalidArgument("'model' must not be empty");
  req->model.assign(model);
  return Status::Ok();
}

void WriteNamedSchema(JsonWriter& w, std::string_view type, std::string_view name,
                      std::string_view description, std::string_view schema_key, const Json* schema,
                      std::optional<bool> strict) {
  w.StartObject();
  KeyString(w, "type", type);
  Key(w, type);
  w.StartObject();
  KeyString(w, "name", name);
  if (!description.empty()) KeyString(w, "description", description);
  if (schema != nullptr) {
    Key(w, schema_key);
    WriteJson(w, *schema);
  }
  if (strict) {
    Key(w, "strict");
    w.Bool(*strict);
  }
  w.EndObject();
  w.EndObject();
}

void WriteCanonicalToolChoice(JsonWriter& w, std::string_view mode, std::string_view function,
                              bool parallel) {
  if (!mode.empty()) {
    KeyString(w, "tool_choice", mode);
  } else if (!function.empty()) {
    Key(w, "tool_choice");
    w.StartObject();
    KeyString(w, "type", "function");
    Key(w, "function");
    w.StartObject();
    KeyString(w, "name", function);
    w.EndObject();
    w.EndObject();
  }
  if (!parallel) {
    Key(w, "parallel_tool_calls");
    w.Bool(false);
  }
}

void FinishCanonical(const rapidjson::StringBuffer& buf, JsonWriter& w, CanonicalRequest* req) {
  if (req->stream) {
    Key(w, "stream");
    w.Bool(true);
    Key(w, "stream_options");
    w.StartObject();
    Key(w, "include_usage");
    w.Bool(true);
    w.EndObject();
  }
  w.EndObject();
  req->openai_body.assign(buf.GetString(), buf.GetSize());
}

std::string DataUrl(std::string_view media_type, std::string_view base64) {
  std::string url;
  url.reserve(5 + media_type.size() + 8 + base64.size());
  url.append("data:").append(media_type).append(";base64,").append(base64);
  return url;
}

std::string_view OpenAiErrorType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

void WriteOpenAiError(JsonWriter& w, int status, std::string_view message, std::string_view code) {
  w.StartObject();
  Key(w, "error");
  w.StartObject();
  KeyString(w, "message", message);
  KeyString(w, "type", OpenAiErrorType(status));
  Key(w, "code");
  NullableString(w, code);
  w.EndObject();
  w.EndObject();
}

int64_t UncachedInput(const Usage& usage) {
  return std::max<int64_t>(0, usage.input_tokens - usage.cached_input_tokens);
}

}  // namespace edge::providers::api::internal
