// OpenAI `messages` -> Gemini `contents` + `systemInstruction`.
//
// system/developer messages become systemInstruction parts (wherever they stand); user and
// assistant turns become contents with roles user and model, consecutive turns of one role
// merged into one content. Parts: text; images, audio and files given as base64 data: URLs
// as inlineData (Gemini cannot fetch an http URL from a chat request: refused); assistant
// tool_calls as functionCall {name, args}, with the thoughtSignature their id carries on the
// part (internal.h, ToolCallId: Gemini 3 requires it back); tool messages as
// functionResponse {name, response: {content}} in a user turn, the name found from the
// assistant call with the same id (Gemini matches responses by name and order, it has no
// call ids).

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/gemini/internal.h"
#include "providers/openai_params.h"

namespace edge::providers::gemini::internal {
namespace {

// "data:image/png;base64,AAAA" -> image/png, AAAA.
bool ParseDataUrl(std::string_view url, std::string_view* mime, std::string_view* data) {
  constexpr std::string_view kBase64 = ";base64";
  if (url.substr(0, 5) != "data:") return false;
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  const std::string_view meta = url.substr(5, comma - 5);
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) {
    return false;
  }
  *mime = meta.substr(0, meta.find(';'));
  *data = url.substr(comma + 1);
  return !mime->empty() && !data->empty();
}

class ContentsWriter {
 public:
  explicit ContentsWriter(JsonWriter& w) : w_(w) {}

  Status Message(const JsonNode& m) {
    std::string_view role;
    if (!GetString(Get(m, "role"), &role)) return Bad("a message without a role");
    const JsonNode* content = Get(m, "content");
    if (content != nullptr && content->IsNull()) content = nullptr;
    if (role == "system" || role == "developer") {
      return content != nullptr ? Texts(*content, &system_, role) : Status::Ok();
    }
    if (role == "user") return content != nullptr ? UserContent(*content) : Status::Ok();
    if (role == "assistant") return Assistant(m, content);
    if (role == "tool") return ToolResult(m, content);
    if (role == "function") return Bad("the legacy 'function' role is not supported; use tools");
    return Bad("unknown message role '" + std::string(role) + "'");
  }

  // Ends the contents array and writes systemInstruction.
  Status End() {
    Close();
    w_.EndArray();
    if (turns_ == 0) return Bad("'messages' needs at least one user or assistant message");
    if (!system_.empty()) {
      Key(w_, "systemInstruction");
      w_.StartObject();
      Key(w_, "parts");
      w_.StartArray();
      for (const std::string& text : system_) TextPart(text);
      w_.EndArray();
      w_.EndObject();
    }
    return Status::Ok();
  }

 private:
  // Opens a content of `role` unless one is open already: consecutive turns merge.
  void Open(std::string_view role) {
    if (open_role_ == role) return;
    Close();
    w_.StartObject();
    Key(w_, "role");
    String(w_, role);
    Key(w_, "parts");
    w_.StartArray();
    open_role_ = std::string(role);
    ++turns_;
  }

  void Close() {
    if (open_role_.empty()) return;
    w_.EndArray();
    w_.EndObject();
    open_role_.clear();
  }

  void TextPart(std::string_view text) {
    w_.StartObject();
    Key(w_, "text");
    String(w_, text);
    w_.EndObject();
  }

  void InlineData(std::string_view mime, std::string_view data) {
    w_.StartObject();
    Key(w_, "inlineData");
    w_.StartObject();
    Key(w_, "mimeType");
    String(w_, mime);
    Key(w_, "data");
    String(w_, data);
    w_.EndObject();
    w_.EndObject();
  }

  // A content that may only hold text: a string or text (and refusal) parts.
  static Status Texts(const JsonNode& content, std::vector<std::string>* out,
                      std::string_view role) {
    std::string_view s;
    if (GetString(&content, &s)) {
      if (!s.empty()) out->emplace_back(s);
      return Status::Ok();
    }
    if (!content.IsArray()) {
      return Bad("the content of a " + std::string(role) + " message must be text");
    }
    for (const JsonNode& part : content) {
      std::string_view type;
      if (!GetString(Get(part, "type"), &type) || (type != "text" && type != "refusal") ||
          !GetString(Get(part, type), &s)) {
        return Bad("a " + std::string(role) + " message may only hold text parts");
      }
      if (!s.empty()) out->emplace_back(s);
    }
    return Status::Ok();
  }

  Status UserContent(const JsonNode& content) {
    std::string_view s;
    if (GetString(&content, &s)) {
      if (!s.empty()) {
        Open("user");
        TextPart(s);
      }
      return Status::Ok();
    }
    if (!content.IsArray()) {
      return Bad("a user message's content must be a string or an array of parts");
    }
    for (const JsonNode& part : content) EDGE_RETURN_IF_ERROR(UserPart(part));
    return Status::Ok();
  }

  Status UserPart(const JsonNode& part) {
    std::string_view type, s, mime, data;
    if (!GetString(Get(part, "type"), &type)) return Bad("a content part without type");
    if (type == "text") {
      if (!GetString(Get(part, "text"), &s)) return Bad("a text part without text");
      if (!s.empty()) {
        Open("user");
        TextPart(s);
      }
      return Status::Ok();
    }
    if (type == "image_url") {
      if (!GetString(Get(Get(part, "image_url"), "url"), &s) &&
          !GetString(Get(part, "image_url"), &s)) {
        return Bad("an image_url part without a url");
      }
      if (!ParseDataUrl(s, &mime, &data)) {
        return Bad("images must be base64 data: URLs (Gemini does not fetch image URLs)");
      }
    } else if (type == "input_audio") {
      std::string_view format;
      const JsonNode* audio = Get(part, "input_audio");
      if (!GetString(Get(audio, "data"), &data) || !GetString(Get(audio, "format"), &format)) {
        return Bad("an input_audio part without data or format");
      }
      audio_mime_ = "audio/" + std::string(format);
      mime = audio_mime_;
    } else if (type == "file") {
      if (!GetString(Get(Get(part, "file"), "file_data"), &s) || !ParseDataUrl(s, &mime, &data)) {
        return Bad("file parts must carry file_data as a base64 data: URL (no file ids)");
      }
    } else {
      return Bad("content part type '" + std::string(type) + "' is not supported");
    }
    Open("user");
    InlineData(mime, data);
    return Status::Ok();
  }

  Status Assistant(const JsonNode& m, const JsonNode* content) {
    std::vector<std::string> texts;
    if (content != nullptr) EDGE_RETURN_IF_ERROR(Texts(*content, &texts, "assistant"));
    for (const std::string& text : texts) {
      Open("model");
      TextPart(text);
    }
    if (const JsonNode* v = Get(m, "function_call"); v != nullptr && !v->IsNull()) {
      return Bad("the legacy 'function_call' is not supported; use tool_calls");
    }
    const JsonNode* calls = Get(m, "tool_calls");
    if (calls == nullptr || !calls->IsArray()) return Status::Ok();
    for (const JsonNode& call : *calls) EDGE_RETURN_IF_ERROR(FunctionCall(call));
    return Status::Ok();
  }

  Status FunctionCall(const JsonNode& call) {
    std::string_view id, name, args;
    if (!GetString(Get(call, "id"), &id)) id = "";
    const JsonNode* fn = Get(call, "function");
    if (!GetString(Get(fn, "name"), &name) || name.empty()) {
      return Bad("a tool call without function.name");
    }
    if (!GetString(Get(fn, "arguments"), &args)) args = "";
    // The client's text, numbers as written; duplicate keys pass as they came, since the node
    // reads nothing inside.
    JsonTree parsed;
    if (args.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      if (!parsed.Parse(args, kCanonicalJson).ok() || !parsed.root().IsObject()) {
        return Bad("the arguments of tool call '" + std::string(id) + "' are not a JSON object");
      }
    }
    EDGE_ASSIGN_OR_RETURN(const std::string signature, ThoughtSignatureOf(id));
    calls_.insert_or_assign(std::string(id), std::string(name));
    Open("model");
    w_.StartObject();
    Key(w_, "functionCall");
    w_.StartObject();
    Key(w_, "name");
    String(w_, name);
    Key(w_, "args");
    if (parsed.root().IsObject()) {
      WriteJson(w_, parsed.root());
    } else {
      w_.StartObject();
      w_.EndObject();
    }
    w_.EndObject();
    if (!signature.empty()) {
      Key(w_, "thoughtSignature");
      String(w_, signature);
    }
    w_.EndObject();
    return Status::Ok();
  }

  Status ToolResult(const JsonNode& m, const JsonNode* content) {
    std::string_view id;
    if (!GetString(Get(m, "tool_call_id"), &id)) {
      return Bad("a tool message without tool_call_id");
    }
    const auto call = calls_.find(id);
    if (call == calls_.end()) {
      return Bad("tool message for '" + std::string(id) + "' answers no earlier tool call");
    }
    const std::string& name = call->second;
    std::vector<std::string> texts;
    if (content != nullptr) EDGE_RETURN_IF_ERROR(Texts(*content, &texts, "tool"));
    std::string joined;
    for (const std::string& t : texts) joined += t;
    Open("user");
    w_.StartObject();
    Key(w_, "functionResponse");
    w_.StartObject();
    Key(w_, "name");
    String(w_, name);
    Key(w_, "response");
    w_.StartObject();
    Key(w_, "content");
    String(w_, joined);
    w_.EndObject();
    w_.EndObject();
    w_.EndObject();
    return Status::Ok();
  }

  JsonWriter& w_;
  std::string open_role_;
  int turns_ = 0;
  std::vector<std::string> system_;
  // Tool-call id -> function name, of the latest call with that id. Looked up once per tool
  // message, so it must not be a list searched from the back (a body of n calls and n results
  // was quadratic); ordered rather than hashed, because the ids are the client's and an
  // unseeded hash can be made to collide.
  std::map<std::string, std::string, std::less<>> calls_;
  std::string audio_mime_;
};

}  // namespace

Status WriteContents(const JsonNode& messages, JsonWriter& w) {
  Key(w, "contents");
  w.StartArray();
  ContentsWriter contents(w);
  for (const JsonNode& message : messages) {
    if (!message.IsObject()) return Bad("each message must be an object");
    EDGE_RETURN_IF_ERROR(contents.Message(message));
  }
  return contents.End();
}

}  // namespace edge::providers::gemini::internal
