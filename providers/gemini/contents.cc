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

namespace edge::providers::gemini::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

Status Bad(std::string message) { return InvalidArgument("gemini: " + std::move(message)); }

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

  Status Message(dom::object m) {
    std::string_view role;
    if (m["role"].get_string().get(role) != SUCCESS) return Bad("a message without a role");
    dom::element content;
    const bool has_content = m["content"].get(content) == SUCCESS && !content.is_null();
    if (role == "system" || role == "developer") {
      return has_content ? Texts(content, &system_, role) : Status::Ok();
    }
    if (role == "user") return has_content ? UserContent(content) : Status::Ok();
    if (role == "assistant") return Assistant(m, has_content ? &content : nullptr);
    if (role == "tool") return ToolResult(m, has_content ? &content : nullptr);
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
  static Status Texts(dom::element content, std::vector<std::string>* out, std::string_view role) {
    std::string_view s;
    if (content.get_string().get(s) == SUCCESS) {
      if (!s.empty()) out->emplace_back(s);
      return Status::Ok();
    }
    dom::array parts;
    if (content.get_array().get(parts) != SUCCESS) {
      return Bad("the content of a " + std::string(role) + " message must be text");
    }
    for (dom::element part : parts) {
      std::string_view type;
      if (part["type"].get_string().get(type) != SUCCESS || (type != "text" && type != "refusal") ||
          part[type].get_string().get(s) != SUCCESS) {
        return Bad("a " + std::string(role) + " message may only hold text parts");
      }
      if (!s.empty()) out->emplace_back(s);
    }
    return Status::Ok();
  }

  Status UserContent(dom::element content) {
    std::string_view s;
    if (content.get_string().get(s) == SUCCESS) {
      if (!s.empty()) {
        Open("user");
        TextPart(s);
      }
      return Status::Ok();
    }
    dom::array parts;
    if (content.get_array().get(parts) != SUCCESS) {
      return Bad("a user message's content must be a string or an array of parts");
    }
    for (dom::element part : parts) EDGE_RETURN_IF_ERROR(UserPart(part));
    return Status::Ok();
  }

  Status UserPart(dom::element part) {
    std::string_view type, s, mime, data;
    if (part["type"].get_string().get(type) != SUCCESS) return Bad("a content part without type");
    if (type == "text") {
      if (part["text"].get_string().get(s) != SUCCESS) return Bad("a text part without text");
      if (!s.empty()) {
        Open("user");
        TextPart(s);
      }
      return Status::Ok();
    }
    if (type == "image_url") {
      if (part["image_url"]["url"].get_string().get(s) != SUCCESS &&
          part["image_url"].get_string().get(s) != SUCCESS) {
        return Bad("an image_url part without a url");
      }
      if (!ParseDataUrl(s, &mime, &data)) {
        return Bad("images must be base64 data: URLs (Gemini does not fetch image URLs)");
      }
    } else if (type == "input_audio") {
      std::string_view format;
      if (part["input_audio"]["data"].get_string().get(data) != SUCCESS ||
          part["input_audio"]["format"].get_string().get(format) != SUCCESS) {
        return Bad("an input_audio part without data or format");
      }
      audio_mime_ = "audio/" + std::string(format);
      mime = audio_mime_;
    } else if (type == "file") {
      if (part["file"]["file_data"].get_string().get(s) != SUCCESS ||
          !ParseDataUrl(s, &mime, &data)) {
        return Bad("file parts must carry file_data as a base64 data: URL (no file ids)");
      }
    } else {
      return Bad("content part type '" + std::string(type) + "' is not supported");
    }
    Open("user");
    InlineData(mime, data);
    return Status::Ok();
  }

  Status Assistant(dom::object m, const dom::element* content) {
    std::vector<std::string> texts;
    if (content != nullptr) EDGE_RETURN_IF_ERROR(Texts(*content, &texts, "assistant"));
    for (const std::string& text : texts) {
      Open("model");
      TextPart(text);
    }
    dom::element v;
    if (m["function_call"].get(v) == SUCCESS && !v.is_null()) {
      return Bad("the legacy 'function_call' is not supported; use tool_calls");
    }
    dom::array calls;
    if (m["tool_calls"].get_array().get(calls) != SUCCESS) return Status::Ok();
    for (dom::element call : calls) EDGE_RETURN_IF_ERROR(FunctionCall(call));
    return Status::Ok();
  }

  Status FunctionCall(dom::element call) {
    std::string_view id, name, args;
    if (call["id"].get_string().get(id) != SUCCESS) id = "";
    if (call["function"]["name"].get_string().get(name) != SUCCESS || name.empty()) {
      return Bad("a tool call without function.name");
    }
    if (call["function"]["arguments"].get_string().get(args) != SUCCESS) args = "";
    std::string args_json = "{}";
    if (args.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      JsonLease inner(Slot::kInner);
      dom::element parsed;
      if (inner.Parse(args, &parsed) != SUCCESS || !parsed.is_object()) {
        return Bad("the arguments of tool call '" + std::string(id) + "' are not a JSON object");
      }
      args_json = simdjson::to_string(parsed);
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
    w_.RawValue(args_json.data(), args_json.size(), rapidjson::kObjectType);
    w_.EndObject();
    if (!signature.empty()) {
      Key(w_, "thoughtSignature");
      String(w_, signature);
    }
    w_.EndObject();
    return Status::Ok();
  }

  Status ToolResult(dom::object m, const dom::element* content) {
    std::string_view id;
    if (m["tool_call_id"].get_string().get(id) != SUCCESS) {
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

Status WriteContents(dom::array messages, JsonWriter& w) {
  Key(w, "contents");
  w.StartArray();
  ContentsWriter contents(w);
  for (dom::element message : messages) {
    dom::object m;
    if (message.get_object().get(m) != SUCCESS) return Bad("each message must be an object");
    EDGE_RETURN_IF_ERROR(contents.Message(m));
  }
  return contents.End();
}

}  // namespace edge::providers::gemini::internal
