#include "providers/json_text.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

namespace edge::providers {

std::string JsonError(simdjson::error_code code) {
  switch (code) {
    case simdjson::EMPTY:
      return "empty document";
    case simdjson::NUMBER_ERROR:
      return "a malformed number, or an integer beyond 64 bits";
    case simdjson::DEPTH_ERROR:
      return "nesting too deep";
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    default:
      return std::string("invalid JSON (") + simdjson::error_message(code) + ")";
  }
}

std::string JsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::string_view> DuplicateKey(simdjson::dom::element root) {
  // Depth first with an explicit stack: the document's depth is bounded by the parser, but
  // the walk should not care.
  std::vector<simdjson::dom::element> todo{root};
  std::vector<std::string_view> names;
  while (!todo.empty()) {
    const simdjson::dom::element e = todo.back();
    todo.pop_back();
    if (simdjson::dom::array arr; e.get_array().get(arr) == simdjson::SUCCESS) {
      for (simdjson::dom::element child : arr) {
        if (child.is_array() || child.is_object()) todo.push_back(child);
      }
      continue;
    }
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) continue;
    names.clear();
    for (simdjson::dom::key_value_pair m : obj) {
      if (names.size() <= 16) {
        for (std::string_view seen : names) {
          if (seen == m.key) return m.key;
        }
      }
      names.push_back(m.key);
      if (m.value.is_array() || m.value.is_object()) todo.push_back(m.value);
    }
    if (names.size() > 16) {
      std::sort(names.begin(), names.end());
      auto dup = std::adjacent_find(names.begin(), names.end());
      if (dup != names.end()) return *dup;
    }
  }
  return std::nullopt;
}

}  // namespace edge::providers
