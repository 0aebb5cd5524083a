#pragma once

// Reading JSON answers in tests: parse once, then look members up by path.

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace edge::e2e {

// The document in `text`; HasParseError() is true when it is not JSON.
rapidjson::Document ParseJson(const std::string& text);

// The value at a dotted path of members and array indexes ("choices.0.delta.content"), or
// nullptr when any step is missing. An empty path is `v` itself.
const rapidjson::Value* JsonAt(const rapidjson::Value& v, std::string_view path);
// The string at `path`, or "" when it is missing or not a string.
std::string JsonString(const rapidjson::Value& v, std::string_view path);
// The integer at `path`, or -1 when it is missing or not an integer.
int64_t JsonInt(const rapidjson::Value& v, std::string_view path);

}  // namespace edge::e2e
