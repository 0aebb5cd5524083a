// Anthropic Messages requests -> the canonical OpenAI chat body.
//
// system -> a system message; tool_use blocks -> the assistant's tool_calls; tool_result
// blocks -> role "tool" messages, placed first in their turn as OpenAI requires them right
// after the assistant's calls (images in a result, which tool messages cannot carry, go in
// a user message after them); images -> image_url parts (data: URLs for base64).
// thinking blocks are dropped: their signatures mean nothing to another provider.

#include <vector>

#include "providers/api/internal.h"

namespace edge::providers::api::internal {
namespace {

Status Untranslatable(std::string_view what, std::string_view path) {
  return InvalidArgument(std::string(what) + " (" + std::string(path) +
                         ") cannot be translated for this deployment's provider");
}

Status BlockType(const Json& block, std::string_view path, std::string_view* type) {
  if (!block.IsObject()) return WrongType(path, "an object");
  return ReadString(block, path, "type", true, type);
}

Status ReadImage(const Json& block, std::string_view path, Part* part) {
  const Json* source = Find(block, "source");
  const std::string source_path = Path(path, "source");
  if (source == nullptr) return Missing(source_path);
  if (!source->IsObject()) return WrongType(source_path, "an object");
  std::string_view type;
  EDGE_RETURN_IF_ERROR(ReadString(*source, source_path, "type", true, &type));
  part->kind = Part::Kind::kImage;
  if (type == "base64") {
    std::string_view media_type, data;
    EDGE_RETURN_IF_ERROR(ReadString(*source, source_path, "media_type", true, &media_type));
    EDGE_RETURN_IF_ERROR(ReadString(*source, source_path, "data", true, &data));
    part->url = DataUrl(media_type, data);
    return Status::Ok();
  }
  if (type == "url") {
    std::string_view url;
    EDGE_RETURN_IF_ERROR(ReadString(*source, source_path, "url", true, &url));
    part->url.assign(url);
    return Status::Ok();
  }
  return Untranslatable("image source type '" + std::string(type) + "'", source_path);
}

// A tool_result's content: text blocks joined by newlines; images set apart.
Status ReadToolResult(const Json& block, std::string_view path, std::string* text,
                      std::vector<Part>* images) {
  const Json* content = Find(block, "content");
  if (content == nullptr) return Status::Ok();
  const std::string content_path = Path(path, "content");
  if (content->IsString()) {
    text->assign(View(*content));
    return Status::Ok();
  }
  if (!content->IsArray()) return WrongType(content_path, "a string or an array");
  for (size_t i = 0; i < content->Size(); ++i) {
    const std::string p = Path(content_path, i);
    std::string_view type, piece;
    EDGE_RETURN_IF_ERROR(BlockType((*content)[i], p, &type));
    if (type == "text") {
      EDGE_RETURN_IF_ERROR(ReadString((*content)[i], p, "text", true, &piece));
      if (!text->empty()) text->push_back('\n');
      text->append(piece);
    } else if (type == "image") {
      images->emplace_back();
      EDGE_RETURN_IF_ERROR(ReadImage((*content)[i], p, &images->back()));
    } else {
      return Untranslatable("content block type '" + std::string(type) + "'", p);
    }
  }
  return Status::Ok();
}

// One tool_result block of a user turn, read before anything of the turn is written.
struct ToolResult {
  std::string_view tool_use_id;
  std::string text;
};

Status WriteUserTurn(const Json& blocks, std::string_view path, JsonWriter& w) {
  std::vector<ToolResult> results;
  std::vector<Part> result_images, parts;
  for (size_t i = 0; i < blocks.Size(); ++i) {
    const Json& block = blocks[i];
    const std::string p = Path(path, i);
    std::string_view type;
    EDGE_RETURN_IF_ERROR(BlockType(block, p, &type));
    if (type == "text") {
      parts.emplace_back();
      EDGE_RETURN_IF_ERROR(ReadString(block, p, "text", true, &parts.back().text));
    } else if (type == "image") {
      parts.emplace_back();
      EDGE_RETURN_IF_ERROR(ReadImage(block, p, &parts.back()));
    } else if (type == "tool_result") {
      results.emplace_back();
      EDGE_RETURN_IF_ERROR(ReadString(block, p, "tool_use_id", true, &results.back().tool_use_id));
      EDGE_RETURN_IF_ERROR(ReadToolResult(block, p, &results.back().text, &result_images));
    } else {
      return Untranslatable("content block type '" + std::string(type) + "'", p);
    }
  }
  for (const ToolResult& r : results) WriteToolMessage(w, r.tool_use_id, r.text);
  result_images.insert(result_images.end(), std::make_move_iterator(parts.begin()),
                       std::make_move_iterator(parts.end()));
  if (!result_images.empty()) WriteMessage(w, "user", result_images);
  return Status::Ok();
}

Status WriteAssistantTurn(const Json& blocks, std::string_view path, JsonWriter& w) {
  std::string text;
  std::vector<CallOut> calls;
  for (size_t i = 0; i < blocks.Size(); ++i) {
    const Json& block = blocks[i];
    const std::string p = Path(path, i);
    std::string_view type, piece;
    EDGE_RETURN_IF_ERROR(BlockType(block, p, &type));
    if (type == "text") {
      EDGE_RETURN_IF_ERROR(ReadString(block, p, "text", true, &piece));
      text.append(piece);
    } else if (type == "tool_use") {
      CallOut call;
      EDGE_RETURN_IF_ERROR(ReadString(block, p, "id", true, &call.id));
      EDGE_RETURN_IF_ERROR(ReadString(block, p, "name", true, &call.name));
      const Json* input = Find(block, "input");
      if (input != nullptr && !input->IsObject()) return WrongType(Path(p, "input"), "an object");
      call.arguments = input == nullptr ? "{}" : Serialize(*input);
      calls.push_back(std::move(call));
    } else if (type != "thinking" && type != "redacted_thinking") {
      return Untranslatable("content block type '" + std::string(type) + "'", p);
    }
  }
  WriteAssistantMessage(w, text, calls);
  return Status::Ok();
}

Status WriteMessages(const Json& root, JsonWriter& w) {
  const Json* messages = Find(root, "messages");
  if (messages == nullptr) return Missing("messages");
  if (!messages->IsArray()) return WrongType("messages", "an array");
  for (size_t i = 0; i < messages->Size(); ++i) {
    const Json& m = (*messages)[i];
    const std::string p = Path("messages", i);
    if (!m.IsObject()) return WrongType(p, "an object");
    std::string_view role;
    EDGE_RETURN_IF_ERROR(ReadString(m, p, "role", true, &role));
    if (role != "user" && role != "assistant") {
      return WrongType(Path(p, "role"), "\"user\" or \"assistant\"");
    }
    const Json* content = Find(m, "content");
    const std::string content_path = Path(p, "content");
    if (content == nullptr) return Missing(content_path);
    if (content->IsString()) {
      Part text;
      text.text = View(*content);
      WriteMessage(w, role, {text});
    } else if (!content->IsArray()) {
      return WrongType(content_path, "a string or an array");
    } else if (role == "user") {
      EDGE_RETURN_IF_ERROR(WriteUserTurn(*content, content_path, w));
    } else {
      EDGE_RETURN_IF_ERROR(WriteAssistantTurn(*content, content_path, w));
    }
  }
  return Status::Ok();
}

// system: a string or text blocks.
Status WriteSystem(const Json& root, JsonWriter& w) {
  const Json* system = Find(root, "system");
  if (system == nullptr) return Status::Ok();
  std::vector<Part> parts;
  if (system->IsString()) {
    if (system->text().empty()) return Status::Ok();
    parts.emplace_back().text = View(*system);
  } else if (system->IsArray()) {
    for (size_t i = 0; i < system->Size(); ++i) {
      const std::string p = Path("system", i);
      std::string_view type;
      EDGE_RETURN_IF_ERROR(BlockType((*system)[i], p, &type));
      if (type != "text") return Untranslatable("system block type '" + std::string(type) + "'", p);
      EDGE_RETURN_IF_ERROR(ReadString((*system)[i], p, "text", true, &parts.emplace_back().text));
    }
    if (parts.empty()) return Status::Ok();
  } else {
    return WrongType("system", "a string or an array of text blocks");
  }
  WriteMessage(w, "system", parts);
  return Status::Ok();
}

// Returns through *count how many tools were written.
Status WriteTools(const Json& root, JsonWriter& w, size_t* count) {
  *count = 0;
  const Json* tools = Find(root, "tools");
  if (tools == nullptr) return Status::Ok();
  if (!tools->IsArray()) return WrongType("tools", "an array");
  if (tools->Empty()) return Status::Ok();
  Key(w, "tools");
  w.StartArray();
  for (size_t i = 0; i < tools->Size(); ++i) {
    const Json& tool = (*tools)[i];
    const std::string p = Path("tools", i);
    if (!tool.IsObject()) return WrongType(p, "an object");
    std::string_view type = "custom", name, description;
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "type", false, &type));
    if (type != "custom") return Untranslatable("tool type '" + std::string(type) + "'", p);
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "name", true, &name));
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "description", false, &description));
    const Json* schema = Find(tool, "input_schema");
    if (schema == nullptr) return Missing(Path(p, "input_schema"));
    if (!schema->IsObject()) return WrongType(Path(p, "input_schema"), "an object");
    WriteNamedSchema(w, "function", name, description, "parameters", schema, std::nullopt);
  }
  w.EndArray();
  *count = tools->Size();
  return Status::Ok();
}

// tool_choice {auto|any|tool|none} -> "auto" | "required" | {function} | "none";
// disable_parallel_tool_use -> parallel_tool_calls false. Written only with tools: OpenAI
// refuses both without them.
Status WriteToolChoice(const Json& root, bool have_tools, JsonWriter& w) {
  const Json* choice = Find(root, "tool_choice");
  if (choice == nullptr) return Status::Ok();
  if (!choice->IsObject()) return WrongType("tool_choice", "an object");
  std::string_view type, name;
  bool no_parallel = false;
  EDGE_RETURN_IF_ERROR(ReadString(*choice, "tool_choice", "type", true, &type));
  EDGE_RETURN_IF_ERROR(ReadBool(*choice, "tool_choice", "disable_parallel_tool_use", &no_parallel));
  if (type == "tool") {
    EDGE_RETURN_IF_ERROR(ReadString(*choice, "tool_choice", "name", true, &name));
    if (name.empty()) return WrongType("tool_choice.name", "a non-empty string");
  }
  if (type != "auto" && type != "any" && type != "tool" && type != "none") {
    return WrongType("tool_choice.type", "one of auto, any, tool, none");
  }
  if (!have_tools) return Status::Ok();
  const std::string_view mode = type == "tool" ? "" : type == "any" ? "required" : type;
  WriteCanonicalToolChoice(w, mode, name, !no_parallel);
  return Status::Ok();
}

Status WriteStop(const Json& root, JsonWriter& w) {
  const Json* stops = Find(root, "stop_sequences");
  if (stops == nullptr) return Status::Ok();
  if (!stops->IsArray()) return WrongType("stop_sequences", "an array of strings");
  if (stops->Empty()) return Status::Ok();
  Key(w, "stop");
  w.StartArray();
  for (size_t i = 0; i < stops->Size(); ++i) {
    if (!(*stops)[i].IsString()) return WrongType(Path("stop_sequences", i), "a string");
    String(w, View((*stops)[i]));
  }
  w.EndArray();
  return Status::Ok();
}

}  // namespace

Result<CanonicalRequest> AnthropicToCanonical(std::string_view body) {
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseRequest(body, &tree));
  const Json& doc = tree.root();
  CanonicalRequest req;
  EDGE_RETURN_IF_ERROR(ReadModel(doc, &req));
  EDGE_RETURN_IF_ERROR(ReadBool(doc, "", "stream", &req.stream));
  // top_k and metadata have no OpenAI counterpart and are dropped; top_k is still checked.
  if (const Json* top_k = Find(doc, "top_k"); top_k != nullptr && !top_k->IsNumber()) {
    return WrongType("top_k", "a number");
  }

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  KeyString(w, "model", req.model);
  Key(w, "messages");
  w.StartArray();
  EDGE_RETURN_IF_ERROR(WriteSystem(doc, w));
  EDGE_RETURN_IF_ERROR(WriteMessages(doc, w));
  w.EndArray();
  EDGE_RETURN_IF_ERROR(CopyPositiveInt(doc, "", "max_tokens", true, "max_tokens", w));
  EDGE_RETURN_IF_ERROR(WriteStop(doc, w));
  EDGE_RETURN_IF_ERROR(CopyNumber(doc, "", "temperature", "temperature", w));
  EDGE_RETURN_IF_ERROR(CopyNumber(doc, "", "top_p", "top_p", w));
  size_t tools = 0;
  EDGE_RETURN_IF_ERROR(WriteTools(doc, w, &tools));
  EDGE_RETURN_IF_ERROR(WriteToolChoice(doc, tools > 0, w));
  FinishCanonical(buf, w, &req);  // Anthropic clients always get usage, in message_delta
  return req;
}

}  // namespace edge::providers::api::internal
