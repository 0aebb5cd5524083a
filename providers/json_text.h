#pragma once

// Small pieces of JSON text handling every adapter needs: the words for a simdjson
// failure, JSON's whitespace, and a string encoded as a JSON string literal.

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace edge::providers {

// A short description of a simdjson failure for error messages.
std::string JsonError(simdjson::error_code code);

// JSON's insignificant whitespace (RFC 8259).
inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The token without the whitespace simdjson counts as part of it.
inline std::string_view TrimToken(std::string_view token) {
  while (!token.empty() && IsJsonSpace(token.back())) token.remove_suffix(1);
  return token;
}

// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);

// The first key found twice in one object anywhere under `root`, or nullopt. Objects of up
// to 16 members are compared pairwise, larger ones sorted: linear-logarithmic at worst.
std::optional<std::string_view> DuplicateKey(simdjson::dom::element root);

}  // namespace edge::providers
