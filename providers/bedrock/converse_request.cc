// OpenAI chat.completions request -> Bedrock Converse request body.
//
// Converse wants: system prompts apart (`system: [{text}]`); messages that alternate user /
// assistant, each a list of content blocks (text, image bytes, toolUse, toolResult); tool
// results inside a user message; generation settings in `inferenceConfig`; tools in
// `toolConfig`. OpenAI's tool messages therefore become user turns, and consecutive turns of
// one role are merged.

#include <string>
#include <vector>

#include "providers/bedrock/internal.h"
#include "providers/openai_params.h"

namespace edge::providers::bedrock::internal {
namespace {

using ChatParams = ChatParams;

// A Converse message being assembled: its content blocks as JSON text.
struct Turn {
  std::string_view role;  // "user" | "assistant"
  std::vector<std::string> blocks;
};

template <typename Fn>
std::string Json(Fn&& fn) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  fn(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string TextBlock(std::string_view text) {
  return Json([&](JsonWriter& w) {
    w.StartObject();
    WriteKey(w, "text");
    WriteString(w, text);
    w.EndObject();
  });
}

bool IsBase64(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

// `data:image/png;base64,....` -> {"image":{"format":"png","source":{"bytes":"...."}}}; the
// base64 text passes as it is (Converse's JSON carries the bytes base64-encoded too).
Result<std::string> ImageBlock(std::string_view url) {
  constexpr std::string_view kData = "data:image/", kBase64 = ";base64,";
  if (url.substr(0, 5) != "data:") {
    return Bad("Bedrock takes images as data: URLs with base64 bytes, not links");
  }
  const size_t marker = url.find(kBase64);
  if (url.substr(0, kData.size()) != kData || marker == std::string_view::npos) {
    return Bad("an image data: URL must be data:image/<format>;base64,<bytes>");
  }
  std::string_view format = url.substr(kData.size(), marker - kData.size());
  if (format == "jpg") format = "jpeg";
  if (format != "png" && format != "jpeg" && format != "gif" && format != "webp") {
    return Bad("Bedrock takes png, jpeg, gif or webp images, not '" + std::string(format) + "'");
  }
  const std::string_view bytes = url.substr(marker + kBase64.size());
  if (!IsBase64(bytes)) return Bad("an image data: URL does not hold base64 bytes");
  return Json([&](JsonWriter& w) {
    w.StartObject();
    WriteKey(w, "image");
    w.StartObject();
    WriteKey(w, "format");
    WriteString(w, format);
    WriteKey(w, "source");
    w.StartObject();
    WriteKey(w, "bytes");
    WriteString(w, bytes);
    w.EndObject();
    w.EndObject();
    w.EndObject();
  });
}

// Whether `v` is a string; its content in *out.
bool GetString(const JsonNode* v, std::string_view* out) {
  if (v == nullptr || !v->IsString()) return false;
  *out = v->text();
  return true;
}

Result<std::string> PartBlock(const JsonNode& part, bool allow_images) {
  const std::string_view type = StringMember(&part, "type");
  if (type == "text") {
    std::string_view text;
    if (!GetString(part.Find("text"), &text)) return Bad("a text part needs 'text'");
    return text.empty() ? std::string() : TextBlock(text);
  }
  if (type == "image_url" && allow_images) {
    std::string_view url;
    const JsonNode* image = part.Find("image_url");
    if (!GetString(image, &url) && !GetString(Member(image, "url"), &url)) {
      return Bad("an image_url part needs 'image_url.url'");
    }
    return ImageBlock(url);
  }
  return Bad("content part type '" + std::string(type) + "' cannot be sent to Bedrock here");
}

// Text (and, for users, image) blocks of a message's `content`: a string, parts, or null or
// absent. Empty texts are left out: Converse refuses blank text blocks.
Status ContentBlocks(const JsonNode& message, bool allow_images, std::vector<std::string>* out) {
  const JsonNode* content = Member(&message, "content");
  if (content == nullptr) return Status::Ok();
  std::string_view text;
  if (GetString(content, &text)) {
    if (!text.empty()) out->push_back(TextBlock(text));
    return Status::Ok();
  }
  if (!content->IsArray()) {
    return Bad("message 'content' must be a string, an array of parts or null");
  }
  for (const JsonNode& part : *content) {
    EDGE_ASSIGN_OR_RETURN(std::string block, PartBlock(part, allow_images));
    if (!block.empty()) out->push_back(std::move(block));
  }
  return Status::Ok();
}

// An OpenAI tool call -> {"toolUse":{"toolUseId","name","input":{...}}}.
Result<std::string> ToolUseBlock(const JsonNode& call) {
  const std::string_view id = StringMember(&call, "id");
  const JsonNode* fn = call.Find("function");
  std::string_view name, arguments;
  if (id.empty() || !GetString(Member(fn, "name"), &name) || name.empty()) {
    return Bad("a tool call needs 'id' and 'function.name'");
  }
  if (!GetString(Member(fn, "arguments"), &arguments)) arguments = {};
  // The client's text, numbers as written; duplicate keys pass as they came, since the node
  // reads nothing inside.
  JsonTree input;
  if (!arguments.empty()) {
    if (!input.Parse(arguments, kCanonicalJson).ok() || !input.root().IsObject()) {
      return Bad("tool call '" + std::string(id) + "': 'arguments' must be a JSON object");
    }
  }
  return Json([&](JsonWriter& w) {
    w.StartObject();
    WriteKey(w, "toolUse");
    w.StartObject();
    WriteKey(w, "toolUseId");
    WriteString(w, id);
    WriteKey(w, "name");
    WriteString(w, name);
    WriteKey(w, "input");
    if (arguments.empty()) {
      w.StartObject();
      w.EndObject();
    } else {
      WriteJson(w, input.root());
    }
    w.EndObject();
    w.EndObject();
  });
}

// An OpenAI tool message -> {"toolResult":{"toolUseId","content":[{"text"}...]}}.
Result<std::string> ToolResultBlock(const JsonNode& message) {
  const std::string_view id = StringMember(&message, "tool_call_id");
  if (id.empty()) return Bad("a tool message needs 'tool_call_id'");
  std::vector<std::string> blocks;
  EDGE_RETURN_IF_ERROR(ContentBlocks(message, false, &blocks));
  if (blocks.empty()) blocks.push_back(TextBlock(""));
  return Json([&](JsonWriter& w) {
    w.StartObject();
    WriteKey(w, "toolResult");
    w.StartObject();
    WriteKey(w, "toolUseId");
    WriteString(w, id);
    WriteKey(w, "content");
    w.StartArray();
    for (const std::string& b : blocks) w.RawValue(b.data(), b.size(), rapidjson::kObjectType);
    w.EndArray();
    w.EndObject();
    w.EndObject();
  });
}

void AddBlocks(std::string_view role, std::vector<std::string> blocks, std::vector<Turn>* turns) {
  if (blocks.empty()) return;
  if (turns->empty() || turns->back().role != role) turns->push_back({role, {}});
  auto& dst = turns->back().blocks;
  for (std::string& b : blocks) dst.push_back(std::move(b));
}

Status ReadMessage(const JsonNode& m, std::vector<std::string>* system, std::vector<Turn>* turns) {
  const std::string_view role = StringMember(&m, "role");
  std::vector<std::string> blocks;
  if (role == "system" || role == "developer") {
    return ContentBlocks(m, false, system);
  }
  if (role == "user") {
    EDGE_RETURN_IF_ERROR(ContentBlocks(m, true, &blocks));
    AddBlocks("user", std::move(blocks), turns);
    return Status::Ok();
  }
  if (role == "assistant") {
    EDGE_RETURN_IF_ERROR(ContentBlocks(m, false, &blocks));
    if (const JsonNode* calls = m.Find("tool_calls"); calls != nullptr && calls->IsArray()) {
      for (const JsonNode& call : *calls) {
        EDGE_ASSIGN_OR_RETURN(std::string block, ToolUseBlock(call));
        blocks.push_back(std::move(block));
      }
    }
    AddBlocks("assistant", std::move(blocks), turns);
    return Status::Ok();
  }
  if (role == "tool") {
    EDGE_ASSIGN_OR_RETURN(std::string block, ToolResultBlock(m));
    blocks.push_back(std::move(block));
    AddBlocks("user", std::move(blocks), turns);
    return Status::Ok();
  }
  return Bad("message role '" + std::string(role) + "' is not supported");
}

void WriteBlocks(JsonWriter& w, const std::vector<std::string>& blocks) {
  w.StartArray();
  for (const std::string& b : blocks) w.RawValue(b.data(), b.size(), rapidjson::kObjectType);
  w.EndArray();
}

Status WriteMessages(const ChatParams& p, JsonWriter& w) {
  if (p.messages == nullptr || !p.messages->IsArray() || p.messages->Empty()) {
    return Bad("'messages' must be a non-empty array");
  }
  std::vector<std::string> system;
  std::vector<Turn> turns;
  for (const JsonNode& m : *p.messages) EDGE_RETURN_IF_ERROR(ReadMessage(m, &system, &turns));
  if (turns.empty()) return Bad("'messages' holds no user or assistant content");
  WriteKey(w, "messages");
  w.StartArray();
  for (const Turn& t : turns) {
    w.StartObject();
    WriteKey(w, "role");
    WriteString(w, t.role);
    WriteKey(w, "content");
    WriteBlocks(w, t.blocks);
    w.EndObject();
  }
  w.EndArray();
  if (!system.empty()) {
    WriteKey(w, "system");
    WriteBlocks(w, system);
  }
  return Status::Ok();
}

// An optional number member, as inferenceConfig's `to`, written as the client spelled it.
Status WriteNumber(const ChatParams::Member& v, std::string_view from, std::string_view to,
                   JsonWriter& w) {
  if (v == nullptr) return Status::Ok();
  if (!v->IsNumber()) return Bad(std::string("'").append(from).append("' must be a number"));
  WriteKey(w, to);
  WriteJson(w, *v);
  return Status::Ok();
}

// inferenceConfig, left out when the request sets none of it.
Status WriteInferenceConfig(const ChatParams& p, JsonWriter& out) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  EDGE_ASSIGN_OR_RETURN(const std::optional<int64_t> max_tokens, MaxTokens(p));
  if (max_tokens) {
    WriteKey(w, "maxTokens");
    w.Int64(*max_tokens);
  }
  EDGE_RETURN_IF_ERROR(WriteNumber(p.temperature, "temperature", "temperature", w));
  EDGE_RETURN_IF_ERROR(WriteNumber(p.top_p, "top_p", "topP", w));
  if (p.stop != nullptr) {
    EDGE_ASSIGN_OR_RETURN(const std::vector<std::string_view> stops, StopSequences(*p.stop));
    WriteKey(w, "stopSequences");
    w.StartArray();
    for (std::string_view s : stops) WriteString(w, s);
    w.EndArray();
  }
  w.EndObject();
  if (buf.GetSize() > 2) {
    WriteKey(out, "inferenceConfig");
    out.RawValue(buf.GetString(), buf.GetSize(), rapidjson::kObjectType);
  }
  return Status::Ok();
}

Status WriteToolSpec(const JsonNode& tool, JsonWriter& w) {
  const JsonNode* fn = Member(&tool, "function");
  std::string_view name;
  if (StringMember(&tool, "type") != "function" || fn == nullptr ||
      !GetString(fn->Find("name"), &name) || name.empty()) {
    return Bad("each tool must be {type: function, function: {name, ...}}");
  }
  w.StartObject();
  WriteKey(w, "toolSpec");
  w.StartObject();
  WriteKey(w, "name");
  WriteString(w, name);
  std::string_view description;
  if (GetString(fn->Find("description"), &description)) {
    WriteKey(w, "description");
    WriteString(w, description);
  }
  WriteKey(w, "inputSchema");
  w.StartObject();
  WriteKey(w, "json");
  if (const JsonNode* params = Member(fn, "parameters"); params != nullptr && params->IsObject()) {
    WriteJson(w, *params);
  } else {
    constexpr std::string_view kEmptySchema = R"({"type":"object","properties":{}})";
    w.RawValue(kEmptySchema.data(), kEmptySchema.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return Status::Ok();
}

// OpenAI tool_choice -> Converse toolChoice: "auto" {auto}, "required" {any}, a named
// function {tool:{name}}; "none" (no Converse equivalent) and absent write nothing.
Status WriteToolChoice(const JsonNode& choice, JsonWriter& w) {
  std::string_view s;
  if (GetString(&choice, &s)) {
    if (s == "none") return Status::Ok();
    if (s != "auto" && s != "required")
      return Bad("unknown 'tool_choice' '" + std::string(s) + "'");
    const std::string_view raw = s == "auto" ? R"({"auto":{}})" : R"({"any":{}})";
    WriteKey(w, "toolChoice");
    w.RawValue(raw.data(), raw.size(), rapidjson::kObjectType);
    return Status::Ok();
  }
  std::string_view name;
  if (!GetString(Member(choice.Find("function"), "name"), &name) || name.empty())
    return Bad("'tool_choice' must be a string or {type: function, function: {name}}");
  WriteKey(w, "toolChoice");
  w.StartObject();
  WriteKey(w, "tool");
  w.StartObject();
  WriteKey(w, "name");
  WriteString(w, name);
  w.EndObject();
  w.EndObject();
  return Status::Ok();
}

Status WriteToolConfig(const ChatParams& p, JsonWriter& w) {
  if (p.tools == nullptr || !p.tools->IsArray() || p.tools->Empty()) return Status::Ok();
  WriteKey(w, "toolConfig");
  w.StartObject();
  WriteKey(w, "tools");
  w.StartArray();
  for (const JsonNode& tool : *p.tools) EDGE_RETURN_IF_ERROR(WriteToolSpec(tool, w));
  w.EndArray();
  if (p.tool_choice != nullptr) EDGE_RETURN_IF_ERROR(WriteToolChoice(*p.tool_choice, w));
  w.EndObject();
  return Status::Ok();
}

}  // namespace

Result<std::string> ConverseRequestBody(std::string_view openai_body) {
  // The canonical body was checked when it arrived (duplicate keys refused, depth at most
  // 1024), so the tree keeps duplicates rather than judging them again.
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseCanonicalBody(openai_body, &tree));
  const JsonNode& body = tree.root();
  // Converse has no n, logprobs, logit_bias, penalties or reasoning_effort: refused, naming
  // them, as the other translating adapters do, rather than silently answered without.
  EDGE_RETURN_IF_ERROR(CheckSupported(body, ParamSupport{.provider = "bedrock"}));
  const ChatParams p = ReadChatParams(body);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  EDGE_RETURN_IF_ERROR(WriteMessages(p, w));
  EDGE_RETURN_IF_ERROR(WriteInferenceConfig(p, w));
  EDGE_RETURN_IF_ERROR(WriteToolConfig(p, w));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::bedrock::internal
