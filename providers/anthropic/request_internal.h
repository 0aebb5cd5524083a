#pragma once

// Pieces shared by request.cc and messages.cc (the OpenAI -> Messages API translation).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/json_tree.h"

namespace edge::providers::anthropic::internal {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The request side reads the canonical body as a JsonTree (providers/json_tree.h), so that
// the numbers it copies go out as the client wrote them.

// A member's value, or nullptr when it is absent or null: in OpenAI's API a null member
// means "not given". Also nullptr when `object` is null or not an object.
inline const JsonNode* Get(const JsonNode* object, std::string_view key) {
  const JsonNode* v = object == nullptr ? nullptr : object->Find(key);
  return v == nullptr || v->IsNull() ? nullptr : v;
}
inline const JsonNode* Get(const JsonNode& object, std::string_view key) {
  return Get(&object, key);
}

// Whether `v` is a string; its content in *out.
inline bool GetString(const JsonNode* v, std::string_view* out) {
  if (v == nullptr || !v->IsString()) return false;
  *out = v->text();
  return true;
}

inline void WriteString(std::string_view s, Writer& w) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes a tool call's `arguments` text as the JSON object it must hold (empty text is {}).
// InvalidArgument naming `where` when it is not a JSON object.
Status WriteArguments(std::string_view arguments, const std::string& where, Writer& w);

// Writes "system" (when there is system text) and "messages" for OpenAI `messages` (an array).
Status WriteConversation(const JsonNode& messages, Writer& w);

}  // namespace edge::providers::anthropic::internal
