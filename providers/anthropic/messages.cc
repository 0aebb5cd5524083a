// OpenAI chat messages -> Anthropic `system` and `messages` (the conversation part of
// request translation; request.cc does the rest of the body).
//
// The Messages API has no system role (system text is a top-level member), wants user and
// assistant turns to alternate, carries tool results as user content blocks, and refuses
// empty text blocks. OpenAI conversations break all four rules routinely, so: system and
// developer messages are hoisted, consecutive messages of one role are merged into one
// turn, role "tool" messages become tool_result blocks of a user turn (placed first in that
// turn, as the API requires), and empty text is dropped.

#include <string>
#include <string_view>
#include <vector>

#include "providers/anthropic/request_internal.h"

namespace edge::providers::anthropic::internal {
namespace {

enum class Role { kSystem, kUser, kAssistant, kTool };

std::string At(size_t i) { return "messages[" + std::to_string(i) + "]"; }

Result<Role> RoleOf(const JsonNode& message, size_t i) {
  std::string_view role;
  if (!message.IsObject() || !GetString(Get(message, "role"), &role)) {
    return InvalidArgument(At(i) + " must be an object with a string 'role'");
  }
  if (role == "system" || role == "developer") return Role::kSystem;
  if (role == "user") return Role::kUser;
  if (role == "assistant") return Role::kAssistant;
  if (role == "tool") return Role::kTool;
  return InvalidArgument(At(i) + ": role '" + std::string(role) +
                         "' is not supported by anthropic");
}

// Tool results are user content in the Messages API.
bool SameTurn(Role a, Role b) {
  auto turn = [](Role r) { return r == Role::kTool ? Role::kUser : r; };
  return turn(a) == turn(b);
}

// The text of a system, developer or tool message: a string or text parts.
Status CollectTexts(const JsonNode* content, const std::string& where,
                    std::vector<std::string_view>* texts) {
  if (content == nullptr) return Status::Ok();
  std::string_view s;
  if (GetString(content, &s)) {
    if (!s.empty()) texts->push_back(s);
    return Status::Ok();
  }
  if (!content->IsArray()) {
    return InvalidArgument(where + ".content must be a string or an array of parts");
  }
  for (const JsonNode& part : *content) {
    std::string_view type, text;
    if (!GetString(Get(part, "type"), &type) || type != "text" ||
        !GetString(Get(part, "text"), &text)) {
      return InvalidArgument(where + ".content: only text parts are supported here");
    }
    if (!text.empty()) texts->push_back(text);
  }
  return Status::Ok();
}

void WriteTextBlock(std::string_view text, Writer& w) {
  w.StartObject();
  w.Key("type");
  w.String("text");
  w.Key("text");
  WriteString(text, w);
  w.EndObject();
}

// A `data:` URL's media type and base64 payload; false when it is not base64 data.
bool SplitDataUrl(std::string_view url, std::string_view* media_type, std::string_view* data) {
  constexpr std::string_view kMarker = ";base64,";
  if (url.substr(0, 5) != "data:") return false;
  const size_t marker = url.find(kMarker);
  if (marker == std::string_view::npos) return false;
  *media_type = url.substr(5, marker - 5);
  *data = url.substr(marker + kMarker.size());
  return !media_type->empty() && !data->empty();
}

void WriteBase64Source(std::string_view media_type, std::string_view data, Writer& w) {
  w.Key("source");
  w.StartObject();
  w.Key("type");
  w.String("base64");
  w.Key("media_type");
  WriteString(media_type, w);
  w.Key("data");
  WriteString(data, w);
  w.EndObject();
}

void WriteUrlSource(std::string_view url, Writer& w) {
  w.Key("source");
  w.StartObject();
  w.Key("type");
  w.String("url");
  w.Key("url");
  WriteString(url, w);
  w.EndObject();
}

Status WriteImage(const JsonNode& part, const std::string& where, Writer& w) {
  std::string_view url;
  const JsonNode* image = Get(part, "image_url");
  if (!GetString(image, &url) &&  // older clients: a bare string
      !GetString(Get(image, "url"), &url)) {
    return InvalidArgument(where + ": image_url.url must be a string");
  }
  std::string_view media_type, data;
  const bool inline_data = SplitDataUrl(url, &media_type, &data);
  if (inline_data && media_type != "image/jpeg" && media_type != "image/png" &&
      media_type != "image/gif" && media_type != "image/webp") {
    return InvalidArgument(where + ": image type '" + std::string(media_type) +
                           "' is not supported by anthropic (jpeg, png, gif, webp)");
  }
  if (!inline_data && url.substr(0, 8) != "https://" && url.substr(0, 7) != "http://") {
    return InvalidArgument(where + ": image_url.url must be an http(s) URL or a base64 data URL");
  }
  w.StartObject();
  w.Key("type");
  w.String("image");
  if (inline_data) {
    WriteBase64Source(media_type, data, w);
  } else {
    WriteUrlSource(url, w);
  }
  w.EndObject();
  return Status::Ok();
}

// OpenAI's file part: only inline PDFs have an Anthropic equivalent (a document block).
Status WriteFile(const JsonNode& part, const std::string& where, Writer& w) {
  std::string_view url, media_type, data;
  if (!GetString(Get(Get(part, "file"), "file_data"), &url) ||
      !SplitDataUrl(url, &media_type, &data) || media_type != "application/pdf") {
    return InvalidArgument(where +
                           ": anthropic takes file parts only as base64 PDF data (file_data)");
  }
  w.StartObject();
  w.Key("type");
  w.String("document");
  WriteBase64Source(media_type, data, w);
  w.EndObject();
  return Status::Ok();
}

// User or assistant content (string or parts) as blocks; counts the blocks written.
Status WriteContentBlocks(const JsonNode* content, Role role, const std::string& where, Writer& w,
                          int* blocks) {
  if (content == nullptr) return Status::Ok();
  std::string_view s;
  if (GetString(content, &s)) {
    if (!s.empty()) {
      WriteTextBlock(s, w);
      ++*blocks;
    }
    return Status::Ok();
  }
  if (!content->IsArray()) {
    return InvalidArgument(where + ".content must be a string or an array of parts");
  }
  size_t j = 0;
  for (const JsonNode& part : *content) {
    const std::string part_at = where + ".content[" + std::to_string(j++) + "]";
    std::string_view type, text;
    if (!GetString(Get(part, "type"), &type)) {
      return InvalidArgument(part_at + " must be an object with a string 'type'");
    }
    if (type == "text" || (type == "refusal" && role == Role::kAssistant)) {
      if (!GetString(Get(part, type), &text)) {
        return InvalidArgument(part_at + "." + std::string(type) + " must be a string");
      }
      if (!text.empty()) {
        WriteTextBlock(text, w);
        ++*blocks;
      }
    } else if (type == "image_url" && role == Role::kUser) {
      EDGE_RETURN_IF_ERROR(WriteImage(part, part_at, w));
      ++*blocks;
    } else if (type == "file" && role == Role::kUser) {
      EDGE_RETURN_IF_ERROR(WriteFile(part, part_at, w));
      ++*blocks;
    } else {
      return InvalidArgument(part_at + ": content type '" + std::string(type) +
                             "' is not supported by anthropic");
    }
  }
  return Status::Ok();
}

Status WriteToolUses(const JsonNode& message, const std::string& where, Writer& w, int* blocks) {
  const JsonNode* calls = Get(message, "tool_calls");
  if (calls == nullptr) return Status::Ok();
  if (!calls->IsArray()) return InvalidArgument(where + ".tool_calls must be an array");
  size_t j = 0;
  for (const JsonNode& call : *calls) {
    const std::string call_at = where + ".tool_calls[" + std::to_string(j++) + "]";
    std::string_view id, name, arguments;
    const JsonNode* fn = Get(call, "function");
    if (!GetString(Get(call, "id"), &id) || !GetString(Get(fn, "name"), &name)) {
      return InvalidArgument(call_at + " needs a string id and function.name");
    }
    if (!GetString(Get(fn, "arguments"), &arguments)) arguments = "";
    w.StartObject();
    w.Key("type");
    w.String("tool_use");
    w.Key("id");
    WriteString(id, w);
    w.Key("name");
    WriteString(name, w);
    w.Key("input");
    EDGE_RETURN_IF_ERROR(WriteArguments(arguments, call_at + ".function.arguments", w));
    w.EndObject();
    ++*blocks;
  }
  return Status::Ok();
}

Status WriteToolResult(const JsonNode& message, const std::string& where, Writer& w) {
  std::string_view id;
  if (!GetString(Get(message, "tool_call_id"), &id)) {
    return InvalidArgument(where + ": a tool message needs a string tool_call_id");
  }
  std::vector<std::string_view> texts;
  EDGE_RETURN_IF_ERROR(CollectTexts(Get(message, "content"), where, &texts));
  w.StartObject();
  w.Key("type");
  w.String("tool_result");
  w.Key("tool_use_id");
  WriteString(id, w);
  if (texts.size() == 1) {
    w.Key("content");
    WriteString(texts[0], w);
  } else if (texts.size() > 1) {
    w.Key("content");
    w.StartArray();
    for (std::string_view t : texts) WriteTextBlock(t, w);
    w.EndArray();
  }
  w.EndObject();
  return Status::Ok();
}

bool HasToolCalls(const JsonNode& message) {
  const JsonNode* v = Get(message, "tool_calls");
  return v != nullptr && (!v->IsArray() || !v->Empty());
}

// The content of one turn, made of the messages at `run` (all of the turn's role).
Status WriteTurnContent(const std::vector<const JsonNode*>& msgs, const std::vector<Role>& roles,
                        const std::vector<size_t>& run, Writer& w) {
  std::string_view only;
  const size_t first = run.front();
  if (run.size() == 1 && roles[first] != Role::kTool && !HasToolCalls(*msgs[first]) &&
      GetString(msgs[first]->Find("content"), &only) && !only.empty()) {
    WriteString(only, w);  // the common case keeps the API's plain-string form
    return Status::Ok();
  }
  int blocks = 0;
  w.StartArray();
  for (size_t i : run) {  // tool results must open a user turn
    if (roles[i] != Role::kTool) continue;
    EDGE_RETURN_IF_ERROR(WriteToolResult(*msgs[i], At(i), w));
    ++blocks;
  }
  for (size_t i : run) {
    if (roles[i] == Role::kTool) continue;
    EDGE_RETURN_IF_ERROR(WriteContentBlocks(Get(msgs[i], "content"), roles[i], At(i), w, &blocks));
    if (roles[i] == Role::kAssistant) {
      EDGE_RETURN_IF_ERROR(WriteToolUses(*msgs[i], At(i), w, &blocks));
    }
  }
  w.EndArray();
  if (blocks == 0) {
    return InvalidArgument(At(first) + ": anthropic requires non-empty message content");
  }
  return Status::Ok();
}

void WriteSystem(const std::vector<std::string_view>& system, Writer& w) {
  if (system.empty()) return;
  w.Key("system");
  if (system.size() == 1) {
    WriteString(system[0], w);
    return;
  }
  w.StartArray();
  for (std::string_view s : system) WriteTextBlock(s, w);
  w.EndArray();
}

}  // namespace

Status WriteConversation(const JsonNode& messages, Writer& w) {
  std::vector<const JsonNode*> msgs;
  std::vector<Role> roles;
  std::vector<std::string_view> system;
  for (const JsonNode& m : messages) {
    EDGE_ASSIGN_OR_RETURN(Role role, RoleOf(m, msgs.size()));
    if (role == Role::kSystem) {
      EDGE_RETURN_IF_ERROR(CollectTexts(Get(m, "content"), At(msgs.size()), &system));
    }
    if (Get(m, "function_call")) {
      return InvalidArgument(At(msgs.size()) +
                             ": legacy function_call is not supported; use tool_calls");
    }
    msgs.push_back(&m);
    roles.push_back(role);
  }
  WriteSystem(system, w);
  w.Key("messages");
  w.StartArray();
  std::vector<size_t> run;
  for (size_t begin = 0; begin < msgs.size();) {
    if (roles[begin] == Role::kSystem) {
      ++begin;
      continue;
    }
    // A turn takes every following message of its role; system messages in between were
    // hoisted and do not split it.
    run.assign(1, begin);
    size_t end = begin + 1;
    for (; end < msgs.size(); ++end) {
      if (roles[end] == Role::kSystem) continue;
      if (!SameTurn(roles[begin], roles[end])) break;
      run.push_back(end);
    }
    w.StartObject();
    w.Key("role");
    w.String(roles[begin] == Role::kAssistant ? "assistant" : "user");
    w.Key("content");
    EDGE_RETURN_IF_ERROR(WriteTurnContent(msgs, roles, run, w));
    w.EndObject();
    begin = end;
  }
  w.EndArray();
  if (run.empty()) return InvalidArgument("messages: anthropic needs a user message");
  return Status::Ok();
}

}  // namespace edge::providers::anthropic::internal
