// OpenAI Responses API requests -> the canonical OpenAI chat body, statelessly.
//
// instructions -> a system message; input items -> messages: function_call items (with the
// assistant message before them) -> one assistant message with tool_calls (call_id is the
// tool call id), function_call_output -> role "tool" messages; max_output_tokens ->
// max_tokens; text.format -> response_format. Nothing is stored, so what refers to stored
// state (previous_response_id, conversation, item_reference) is refused by name.

#include <vector>

#include "providers/api/internal.h"

namespace edge::providers::api::internal {
namespace {

Status NotSupported(std::string_view what, std::string_view path) {
  return InvalidArgument(std::string(what) + " (" + std::string(path) +
                         ") is not supported by this deployment's provider");
}

Status Stateful(std::string_view feature) {
  return InvalidArgument(std::string(feature) +
                         " is not supported by this deployment's provider; send the full "
                         "conversation");
}

Status ItemType(const Json& item, std::string_view path, std::string_view* type) {
  if (!item.IsObject()) return WrongType(path, "an object");
  *type = "message";  // EasyInputMessage: {role, content} without a type
  return ReadString(item, path, "type", false, type);
}

// A content part of a message or tool output: input_text / output_text / refusal as text,
// input_image by URL.
Status ReadPart(const Json& part, std::string_view path, Part* out) {
  std::string_view type;
  if (!part.IsObject()) return WrongType(path, "an object");
  EDGE_RETURN_IF_ERROR(ReadString(part, path, "type", true, &type));
  if (type == "input_text" || type == "output_text") {
    return ReadString(part, path, "text", true, &out->text);
  }
  if (type == "refusal") return ReadString(part, path, "refusal", true, &out->text);
  if (type == "input_image") {
    std::string_view url;
    EDGE_RETURN_IF_ERROR(ReadString(part, path, "image_url", false, &url));
    if (url.empty()) return NotSupported("an input_image without image_url", path);
    out->kind = Part::Kind::kImage;
    out->url.assign(url);
    return ReadString(part, path, "detail", false, &out->detail);
  }
  return NotSupported("content type '" + std::string(type) + "'", path);
}

Status ReadContent(const Json& item, std::string_view path, std::vector<Part>* parts) {
  const Json* content = Find(item, "content");
  const std::string p = Path(path, "content");
  if (content == nullptr) return Missing(p);
  if (content->IsString()) {
    parts->emplace_back().text = View(*content);
    return Status::Ok();
  }
  if (!content->IsArray()) return WrongType(p, "a string or an array");
  for (size_t i = 0; i < content->Size(); ++i) {
    EDGE_RETURN_IF_ERROR(ReadPart((*content)[i], Path(p, i), &parts->emplace_back()));
  }
  return Status::Ok();
}

Status ReadCall(const Json& item, std::string_view path, CallOut* call) {
  EDGE_RETURN_IF_ERROR(ReadString(item, path, "call_id", true, &call->id));
  EDGE_RETURN_IF_ERROR(ReadString(item, path, "name", true, &call->name));
  std::string_view arguments;
  EDGE_RETURN_IF_ERROR(ReadString(item, path, "arguments", true, &arguments));
  call->arguments.assign(arguments);
  return Status::Ok();
}

// The walk over `input`, item by item; runs of items that become one message (an assistant
// message and its function calls, consecutive tool outputs) are consumed together.
class InputWriter {
 public:
  InputWriter(const Json& items, JsonWriter& w) : items_(items), w_(w) {}

  Status Write() {
    for (i_ = 0; i_ < items_.Size();) {
      const std::string p = Path("input", i_);
      std::string_view type;
      EDGE_RETURN_IF_ERROR(ItemType(items_[i_], p, &type));
      if (type == "message") {
        EDGE_RETURN_IF_ERROR(Message(p));
      } else if (type == "function_call") {
        EDGE_RETURN_IF_ERROR(Assistant(nullptr));
      } else if (type == "function_call_output") {
        EDGE_RETURN_IF_ERROR(ToolOutputs());
      } else if (type == "reasoning") {
        ++i_;  // opaque to any other provider
      } else if (type == "item_reference") {
        return Stateful("item_reference");
      } else {
        return NotSupported("input item type '" + std::string(type) + "'", p);
      }
    }
    return Status::Ok();
  }

 private:
  std::string_view TypeAt(size_t i) const {
    std::string_view type;
    if (!ItemType(items_[i], "", &type).ok()) return "";
    return type;
  }

  Status Message(std::string_view path) {
    std::string_view role;
    EDGE_RETURN_IF_ERROR(ReadString(items_[i_], path, "role", true, &role));
    std::vector<Part> parts;
    EDGE_RETURN_IF_ERROR(ReadContent(items_[i_], path, &parts));
    if (role == "assistant") return Assistant(&parts);
    if (role == "developer") role = "system";  // what every other provider calls it
    if (role != "user" && role != "system") {
      return WrongType(Path(path, "role"), "one of user, assistant, system, developer");
    }
    ++i_;
    WriteMessage(w_, role, parts);
    return Status::Ok();
  }

  // An assistant message (its parts; nullptr when the run starts at a function_call) and
  // the function calls that follow it. Leaves i_ after the run.
  Status Assistant(const std::vector<Part>* parts) {
    std::string text;
    if (parts != nullptr) {
      for (const Part& part : *parts) {
        if (part.kind == Part::Kind::kImage) {
          return NotSupported("an image in an assistant message", Path("input", i_));
        }
        text.append(part.text);
      }
      ++i_;
    }
    std::vector<CallOut> calls;
    for (; i_ < items_.Size(); ++i_) {
      const std::string_view type = TypeAt(i_);
      if (type == "reasoning") continue;
      if (type != "function_call") break;
      EDGE_RETURN_IF_ERROR(ReadCall(items_[i_], Path("input", i_), &calls.emplace_back()));
    }
    WriteAssistantMessage(w_, text, calls);
    return Status::Ok();
  }

  // Consecutive function_call_output items as tool messages; images in them, which tool
  // messages cannot carry, in one user message after the run.
  Status ToolOutputs() {
    std::vector<Part> images;
    for (; i_ < items_.Size() && TypeAt(i_) == "function_call_output"; ++i_) {
      const Json& item = items_[i_];
      const std::string p = Path("input", i_);
      std::string_view call_id;
      EDGE_RETURN_IF_ERROR(ReadString(item, p, "call_id", true, &call_id));
      const Json* output = Find(item, "output");
      if (output != nullptr && output->IsString()) {
        WriteToolMessage(w_, call_id, View(*output));
        continue;
      }
      if (output == nullptr || !output->IsArray()) {
        return WrongType(Path(p, "output"), "a string or an array");
      }
      std::string text;
      for (size_t k = 0; k < output->Size(); ++k) {
        Part part;
        EDGE_RETURN_IF_ERROR(ReadPart((*output)[k], Path(Path(p, "output"), k), &part));
        if (part.kind == Part::Kind::kImage) {
          images.push_back(std::move(part));
        } else {
          if (!text.empty()) text.push_back('\n');
          text.append(part.text);
        }
      }
      WriteToolMessage(w_, call_id, text);
    }
    if (!images.empty()) WriteMessage(w_, "user", images);
    return Status::Ok();
  }

  const Json& items_;
  JsonWriter& w_;
  size_t i_ = 0;
};

Status WriteChatMessages(const Json& root, JsonWriter& w) {
  Key(w, "messages");
  w.StartArray();
  std::string_view instructions;
  EDGE_RETURN_IF_ERROR(ReadString(root, "", "instructions", false, &instructions));
  if (!instructions.empty()) {
    Part part;
    part.text = instructions;
    WriteMessage(w, "system", {part});
  }
  const Json* input = Find(root, "input");
  if (input == nullptr) return Missing("input");
  if (input->IsString()) {
    Part part;
    part.text = View(*input);
    WriteMessage(w, "user", {part});
  } else if (input->IsArray()) {
    EDGE_RETURN_IF_ERROR(InputWriter(*input, w).Write());
  } else {
    return WrongType("input", "a string or an array");
  }
  w.EndArray();
  return Status::Ok();
}

Status WriteTools(const Json& root, JsonWriter& w, bool* have_tools) {
  const Json* tools = Find(root, "tools");
  *have_tools = false;
  if (tools == nullptr) return Status::Ok();
  if (!tools->IsArray()) return WrongType("tools", "an array");
  if (tools->Empty()) return Status::Ok();
  *have_tools = true;
  Key(w, "tools");
  w.StartArray();
  for (size_t i = 0; i < tools->Size(); ++i) {
    const Json& tool = (*tools)[i];
    const std::string p = Path("tools", i);
    std::string_view type, name, description;
    if (!tool.IsObject()) return WrongType(p, "an object");
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "type", true, &type));
    if (type != "function") return NotSupported("tool type '" + std::string(type) + "'", p);
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "name", true, &name));
    EDGE_RETURN_IF_ERROR(ReadString(tool, p, "description", false, &description));
    bool strict = false;
    EDGE_RETURN_IF_ERROR(ReadBool(tool, p, "strict", &strict));
    const Json* parameters = Find(tool, "parameters");
    if (parameters != nullptr && !parameters->IsObject()) {
      return WrongType(Path(p, "parameters"), "an object");
    }
    WriteNamedSchema(w, "function", name, description, "parameters", parameters,
                     strict ? std::optional<bool>(true) : std::nullopt);
  }
  w.EndArray();
  return Status::Ok();
}

// "auto" | "none" | "required" | {"type":"function","name"}; only written with tools, as
// OpenAI refuses tool_choice and parallel_tool_calls without them.
Status WriteChatToolChoice(const Json& root, bool have_tools, JsonWriter& w) {
  bool parallel = true;
  EDGE_RETURN_IF_ERROR(ReadBool(root, "", "parallel_tool_calls", &parallel));
  const Json* choice = Find(root, "tool_choice");
  std::string_view mode, type, name;
  if (choice != nullptr && choice->IsString()) {
    mode = View(*choice);
    if (mode != "auto" && mode != "none" && mode != "required") {
      return WrongType("tool_choice", "one of auto, none, required, or a function choice");
    }
  } else if (choice != nullptr) {
    if (!choice->IsObject()) return WrongType("tool_choice", "a string or an object");
    EDGE_RETURN_IF_ERROR(ReadString(*choice, "tool_choice", "type", true, &type));
    if (type != "function")
      return NotSupported("tool_choice type '" + std::string(type) + "'", "tool_choice");
    EDGE_RETURN_IF_ERROR(ReadString(*choice, "tool_choice", "name", true, &name));
  }
  if (have_tools) WriteCanonicalToolChoice(w, mode, name, parallel);
  return Status::Ok();
}

// text.format {text | json_object | json_schema} -> response_format.
Status WriteTextFormat(const Json& root, JsonWriter& w) {
  const Json* text = Find(root, "text");
  if (text == nullptr) return Status::Ok();
  if (!text->IsObject()) return WrongType("text", "an object");
  const Json* format = Find(*text, "format");
  if (format == nullptr) return Status::Ok();
  if (!format->IsObject()) return WrongType("text.format", "an object");
  std::string_view type, name, description;
  EDGE_RETURN_IF_ERROR(ReadString(*format, "text.format", "type", true, &type));
  if (type == "text") return Status::Ok();
  if (type == "json_object") {
    Key(w, "response_format");
    w.StartObject();
    KeyString(w, "type", "json_object");
    w.EndObject();
    return Status::Ok();
  }
  if (type != "json_schema")
    return WrongType("text.format.type", "text, json_object or json_schema");
  EDGE_RETURN_IF_ERROR(ReadString(*format, "text.format", "name", true, &name));
  EDGE_RETURN_IF_ERROR(ReadString(*format, "text.format", "description", false, &description));
  const Json* schema = Find(*format, "schema");
  if (schema == nullptr) return Missing("text.format.schema");
  if (!schema->IsObject()) return WrongType("text.format.schema", "an object");
  const Json* strict = Find(*format, "strict");
  if (strict != nullptr && !strict->IsBool()) return WrongType("text.format.strict", "a boolean");
  Key(w, "response_format");
  WriteNamedSchema(w, "json_schema", name, description, "schema", schema,
                   strict ? std::optional<bool>(strict->GetBool()) : std::nullopt);
  return Status::Ok();
}

Status WriteReasoning(const Json& root, JsonWriter& w) {
  const Json* reasoning = Find(root, "reasoning");
  if (reasoning == nullptr) return Status::Ok();
  if (!reasoning->IsObject()) return WrongType("reasoning", "an object");
  std::string_view effort;
  EDGE_RETURN_IF_ERROR(ReadString(*reasoning, "reasoning", "effort", false, &effort));
  if (!effort.empty()) KeyString(w, "reasoning_effort", effort);
  return Status::Ok();
}

}  // namespace

// The first member or input item that needs state this node does not keep, or "".
std::string_view StatefulFeature(const Json& root) {
  if (Find(root, "previous_response_id") != nullptr) return "previous_response_id";
  if (Find(root, "conversation") != nullptr) return "conversation";
  if (const Json* bg = Find(root, "background"); bg != nullptr && bg->IsBool() && bg->GetBool()) {
    return "background";
  }
  if (const Json* input = Find(root, "input"); input != nullptr && input->IsArray()) {
    for (size_t i = 0; i < input->Size(); ++i) {
      std::string_view type;
      if ((*input)[i].IsObject() && ReadString((*input)[i], "", "type", false, &type).ok() &&
          type == "item_reference") {
        return "item_reference";
      }
    }
  }
  return "";
}

Result<CanonicalRequest> ResponsesToCanonical(std::string_view body) {
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseRequest(body, &tree));
  const Json& doc = tree.root();
  CanonicalRequest req;
  EDGE_RETURN_IF_ERROR(ReadModel(doc, &req));
  if (std::string_view feature = StatefulFeature(doc); !feature.empty()) return Stateful(feature);
  EDGE_RETURN_IF_ERROR(ReadBool(doc, "", "stream", &req.stream));

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  KeyString(w, "model", req.model);
  EDGE_RETURN_IF_ERROR(WriteChatMessages(doc, w));
  EDGE_RETURN_IF_ERROR(CopyPositiveInt(doc, "", "max_output_tokens", false, "max_tokens", w));
  EDGE_RETURN_IF_ERROR(CopyNumber(doc, "", "temperature", "temperature", w));
  EDGE_RETURN_IF_ERROR(CopyNumber(doc, "", "top_p", "top_p", w));
  bool have_tools = false;
  EDGE_RETURN_IF_ERROR(WriteTools(doc, w, &have_tools));
  EDGE_RETURN_IF_ERROR(WriteChatToolChoice(doc, have_tools, w));
  EDGE_RETURN_IF_ERROR(WriteTextFormat(doc, w));
  EDGE_RETURN_IF_ERROR(WriteReasoning(doc, w));
  FinishCanonical(buf, w, &req);  // response.completed carries usage
  return req;
}

}  // namespace edge::providers::api::internal

namespace edge::providers::api {

std::string_view ResponsesStatefulFeature(std::string_view body) {
  JsonTree tree;
  if (!internal::ParseRequest(body, &tree).ok()) return "";
  return internal::StatefulFeature(tree.root());
}

}  // namespace edge::providers::api
