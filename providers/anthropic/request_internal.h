#pragma once

// Pieces shared by request.cc and messages.cc (the OpenAI -> Messages API translation).

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::providers::anthropic::internal {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A member's value, or nullopt when it is absent or null: in OpenAI's API a null member
// means "not given". Also nullopt when `object` is not an object.
inline std::optional<simdjson::dom::element> Get(simdjson::dom::element object,
                                                 std::string_view key) {
  simdjson::dom::element v;
  if (object[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
  return v;
}

inline void WriteString(std::string_view s, Writer& w) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes a parsed value as it is (numbers as simdjson prints them).
void WriteElement(simdjson::dom::element value, Writer& w);

// Writes a tool call's `arguments` text as the JSON object it must hold (empty text is {}).
// InvalidArgument naming `where` when it is not a JSON object.
Status WriteArguments(std::string_view arguments, const std::string& where, Writer& w);

// Writes "system" (when there is system text) and "messages" for OpenAI `messages`.
Status WriteConversation(simdjson::dom::array messages, Writer& w);

}  // namespace edge::providers::anthropic::internal
