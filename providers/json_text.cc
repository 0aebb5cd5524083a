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

namespace {

// Recursive: the DOM parser bounds the depth (1024). Runs on every chat request, so nothing
// allocates for objects of up to 16 members, which are compared pairwise in place.
std::optional<std::string_view> DuplicateIn(simdjson::dom::element e) {
  if (simdjson::dom::array arr; e.get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element child : arr) {
      if (auto dup = DuplicateIn(child)) return dup;
    }
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  if (obj.size() <= 16) {
    for (auto i = obj.begin(); i != obj.end(); ++i) {
      for (auto j = obj.begin(); j != i; ++j) {
        if (i.key() == j.key()) return i.key();
      }
    }
  } else {
    thread_local std::vector<std::string_view> names;  // done with before recursing
    names.clear();
    for (simdjson::dom::key_value_pair m : obj) names.push_back(m.key);
    std::sort(names.begin(), names.end());
    auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end()) return *dup;
    if (names.capacity() > 4096) std::vector<std::string_view>().swap(names);
  }
  for (simdjson::dom::key_value_pair m : obj) {
    if (auto dup = DuplicateIn(m.value)) return dup;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> DuplicateKey(simdjson::dom::element root) {
  return DuplicateIn(root);
}

}  // namespace edge::providers
