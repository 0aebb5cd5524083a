#include "providers/api/responses_state.h"

#include "providers/api/internal.h"

namespace edge::providers::api {
namespace {

using internal::Find;
using internal::Json;
using internal::Serialize;

bool IsItemReference(const Json& item) {
  if (!item.IsObject()) return false;
  const Json* type = Find(item, "type");
  return type != nullptr && type->IsString() && type->text() == "item_reference";
}

std::string_view IdOf(const Json& item) {
  const Json* id = item.IsObject() ? Find(item, "id") : nullptr;
  return id != nullptr && id->IsString() ? id->text() : std::string_view();
}

// A stored value: a JSON array of item objects, else nothing (what we did not write).
bool ParseItems(std::string_view json, JsonTree* tree) {
  if (!tree->Parse(json).ok() || !tree->root().IsArray()) return false;
  for (const Json& item : tree->root()) {
    if (!item.IsObject() || IsItemReference(item)) return false;
  }
  return true;
}

// Appends the body's input items (a string input is one user message) to `w`'s open array,
// item_references resolved through `item` when given.
Status WriteInputItems(const Json& root, JsonWriter& w, const StoredLookup* item,
                       std::string* error_code) {
  const Json* input = Find(root, "input");
  if (input == nullptr) return internal::Missing("input");
  if (input->IsString()) {
    w.StartObject();
    internal::KeyString(w, "type", "message");
    internal::KeyString(w, "role", "user");
    internal::KeyString(w, "content", input->text());
    w.EndObject();
    return Status::Ok();
  }
  if (!input->IsArray()) return internal::WrongType("input", "a string or an array");
  for (const Json& it : *input) {
    if (item == nullptr || !IsItemReference(it)) {
      WriteJson(w, it);
      continue;
    }
    const std::string id(IdOf(it));
    std::optional<std::string> stored = id.empty() ? std::nullopt : (*item)(id);
    JsonTree tree;
    if (!stored || !tree.Parse(*stored).ok() || !tree.root().IsObject() ||
        IsItemReference(tree.root())) {
      if (error_code != nullptr) *error_code = "item_not_found";
      return InvalidArgument("Item with id '" + id + "' not found.");
    }
    WriteJson(w, tree.root());
  }
  return Status::Ok();
}

}  // namespace

ResponsesStateRefs ResponsesStoredRefs(std::string_view body) {
  ResponsesStateRefs refs;
  JsonTree tree;
  if (!internal::ParseRequest(body, &tree).ok()) return refs;
  const Json& root = tree.root();
  if (const Json* prev = Find(root, "previous_response_id"); prev != nullptr && prev->IsString()) {
    refs.previous_response_id.assign(prev->text());
  }
  if (const Json* input = Find(root, "input"); input != nullptr && input->IsArray()) {
    for (const Json& it : *input) {
      if (IsItemReference(it)) refs.item_ids.emplace_back(IdOf(it));
    }
  }
  return refs;
}

Result<std::string> ResolveResponsesState(std::string_view body,
                                          const std::optional<std::string>& previous,
                                          const StoredLookup& item, std::string* error_code) {
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(internal::ParseRequest(body, &tree));
  const Json& root = tree.root();
  std::string_view previous_id;
  if (const Json* prev = Find(root, "previous_response_id"); prev != nullptr) {
    if (!prev->IsString()) return internal::WrongType("previous_response_id", "a string");
    previous_id = prev->text();
  }
  JsonTree stored;
  if (!previous_id.empty() && (!previous || !ParseItems(*previous, &stored))) {
    if (error_code != nullptr) *error_code = "previous_response_not_found";
    return InvalidArgument("Previous response with id '" + std::string(previous_id) +
                           "' not found.");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const Json& member : root) {
    if (member.name() == "previous_response_id" || member.name() == "input") continue;
    internal::Key(w, member.name());
    WriteJson(w, member);
  }
  internal::Key(w, "input");
  w.StartArray();
  if (!previous_id.empty()) {
    for (const Json& it : stored.root()) WriteJson(w, it);
  }
  EDGE_RETURN_IF_ERROR(WriteInputItems(root, w, &item, error_code));
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<std::string> ResponsesInputItems(std::string_view body) {
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(internal::ParseRequest(body, &tree));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  EDGE_RETURN_IF_ERROR(WriteInputItems(tree.root(), w, nullptr, nullptr));
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<ResponsesToStore> ResponsesConversation(std::string_view input_items,
                                               std::string_view response) {
  JsonTree input;
  if (!ParseItems(input_items, &input)) return InvalidArgument("input items are not an array");
  JsonTree answer;
  EDGE_RETURN_IF_ERROR(answer.Parse(response));
  const Json& root = answer.root();
  const Json* id = root.IsObject() ? Find(root, "id") : nullptr;
  const Json* output = root.IsObject() ? Find(root, "output") : nullptr;
  if (id == nullptr || !id->IsString() || id->text().empty() || output == nullptr ||
      !output->IsArray()) {
    return InvalidArgument("not a Responses API response");
  }
  ResponsesToStore out;
  out.response_id.assign(id->text());
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const Json* items : {&input.root(), output}) {
    for (const Json& it : *items) {
      if (!it.IsObject()) continue;
      std::string text = Serialize(it);
      w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
      if (std::string_view item_id = IdOf(it); !item_id.empty()) {
        out.items.emplace_back(std::string(item_id), std::move(text));
      }
    }
  }
  w.EndArray();
  out.conversation.assign(buf.GetString(), buf.GetSize());
  return out;
}

}  // namespace edge::providers::api
