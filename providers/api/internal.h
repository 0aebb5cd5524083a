#pragma once

// Helpers shared by the client API files; not part of the module's interface.
//
// Requests are read into a JsonTree (simdjson On-Demand; numbers keep their text) and
// rewritten into another shape with RapidJSON's writer, which never reads client bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "providers/adapter.h"
#include "providers/api/client_api.h"
#include "providers/json_tree.h"

namespace edge::providers::api::internal {

using Json = JsonNode;
using providers::JsonWriter;

// Deeper nesting is refused before parsing: Accept() and our walks recurse per level.
constexpr int kMaxDepth = 128;

// Parses a client's body: a UTF-8 JSON object nested at most kMaxDepth deep, each key at
// most once per object. Errors are InvalidArgument with a message fit for the client.
Status ParseRequest(std::string_view body, JsonTree* doc);

// "parent.name", or "name" at the top level; "parent[i]" for array elements.
std::string Path(std::string_view parent, std::string_view name);
std::string Path(std::string_view parent, size_t index);

Status Missing(std::string_view path);                           // missing required parameter
Status WrongType(std::string_view path, std::string_view what);  // 'path' must be <what>

// The member `name` of object `obj`, or nullptr when absent or null (client bodies hold no
// duplicate keys: ParseRequest refuses them).
const Json* Find(const Json& obj, std::string_view name);

inline std::string_view View(const Json& string_value) { return string_value.text(); }

// Typed reads of an optional member (absent or null leaves *out untouched and returns Ok,
// unless `required`); a member of another type is an InvalidArgument naming its path.
Status ReadString(const Json& obj, std::string_view parent, std::string_view name, bool required,
                  std::string_view* out);
Status ReadBool(const Json& obj, std::string_view parent, std::string_view name, bool* out);

// Writers.
void String(JsonWriter& w, std::string_view s);
void Key(JsonWriter& w, std::string_view key);
void KeyString(JsonWriter& w, std::string_view key, std::string_view value);
void NullableString(JsonWriter& w, std::string_view s);  // null when empty
std::string Serialize(const Json& v);
// Copies member `name` to the output as `out_key` when present and a number; another type
// is an InvalidArgument.
Status CopyNumber(const Json& obj, std::string_view parent, std::string_view name,
                  std::string_view out_key, JsonWriter& w);
// max_tokens-like members: a positive integer (beyond int64 refused).
Status CopyPositiveInt(const Json& obj, std::string_view parent, std::string_view name,
                       bool required, std::string_view out_key, JsonWriter& w);

// Appends one server-sent event: `event: <name>\n` when name is not empty, then
// `data: <json>\n\n`. JSON text never holds a raw newline, so one data line suffices.
void AppendEvent(std::string* out, std::string_view name, const rapidjson::StringBuffer& json);

// `id` when it already starts with `prefix`, else prefix + id; prefix + fallback when the
// provider gave no id. Client SDKs look at the prefixes (msg_, chatcmpl-, resp_, call_).
std::string PrefixedId(std::string_view prefix, std::string_view id, std::string_view fallback);

// The tool call's id, or one made from the answer's id and the call's index when the
// provider gave none: clients must echo an id back with the tool's result.
std::string ToolCallId(std::string_view prefix, std::string_view id, std::string_view answer_id,
                       int index);

// A piece of a message's content in the canonical body: text, or an image by URL (a
// data: URL for inline images).
struct Part {
  enum class Kind { kText, kImage };
  Kind kind = Kind::kText;
  std::string_view text;  // views into the parsed request, which outlives the writing
  std::string url;
  std::string_view detail;  // OpenAI's image detail (auto|low|high), when given
};

// {"role":role,"content":...}: a string when the content is one text part, else parts.
void WriteMessage(JsonWriter& w, std::string_view role, const std::vector<Part>& parts);
// {"role":"tool","tool_call_id":id,"content":text}.
void WriteToolMessage(JsonWriter& w, std::string_view tool_call_id, std::string_view text);
// A tool call in an assistant message of the canonical body.
struct CallOut {
  std::string_view id;
  std::string_view name;
  std::string arguments;  // JSON text
};
// {"role":"assistant","content":text (null when empty and there are calls),"tool_calls":[...]}.
void WriteAssistantMessage(JsonWriter& w, std::string_view text, const std::vector<CallOut>& calls);

// The canonical body as the Anthropic and Responses conversions write it:
//   ReadModel; w.StartObject(); KeyString(w, "model", req.model); <members>; FinishCanonical.
//
// `model`, which every client body names (a non-empty string), into req->model.
Status ReadModel(const Json& root, CanonicalRequest* req);
// {"type":type, type:{"name","description" (when not empty), schema_key: schema (when
// given),"strict" (when given)}}: OpenAI's shape for a named JSON schema, both a function
// tool ("function", "parameters") and a json_schema response_format ("json_schema", "schema").
void WriteNamedSchema(JsonWriter& w, std::string_view type, std::string_view name,
                      std::string_view description, std::string_view schema_key, const Json* schema,
                      std::optional<bool> strict);
// "tool_choice": `mode` (auto, none, required) when not empty, else {"type":"function",
// "function":{"name":function}} when `function` is not empty; then "parallel_tool_calls":
// false unless `parallel`. Callers write it only with tools: OpenAI refuses both without.
void WriteCanonicalToolChoice(JsonWriter& w, std::string_view mode, std::string_view function,
                              bool parallel);
// Ends the body begun into `buf`: when req->stream, "stream":true and
// stream_options.include_usage (these clients' answers end with usage, so the upstream must
// send it); then the text goes to req->openai_body.
void FinishCanonical(const rapidjson::StringBuffer& buf, JsonWriter& w, CanonicalRequest* req);

// "data:<media_type>;base64,<data>".
std::string DataUrl(std::string_view media_type, std::string_view base64);

// Tool-call arguments as clients parse them: "{}" for none (a tool without parameters,
// from a provider that sends nothing for them), as OpenAI answers.
inline std::string_view ArgumentsOrEmpty(std::string_view arguments) {
  return arguments.empty() ? std::string_view("{}") : arguments;
}

// OpenAI's error `type` for an HTTP status.
std::string_view OpenAiErrorType(int status);
// {"error":{"message","type","code"}}, code null when empty.
void WriteOpenAiError(JsonWriter& w, int status, std::string_view message, std::string_view code);

// Input tokens without the cached ones (Anthropic reports them apart); canonical input
// counts include cached tokens, as OpenAI's prompt_tokens do.
int64_t UncachedInput(const Usage& usage);

// The request conversions of the APIs that are not the canonical shape.
Result<CanonicalRequest> AnthropicToCanonical(std::string_view body);  // anthropic_request.cc
Result<CanonicalRequest> ResponsesToCanonical(std::string_view body);  // responses_request.cc

}  // namespace edge::providers::api::internal
