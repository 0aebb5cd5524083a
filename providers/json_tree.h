#pragma once

// JsonTree: an untrusted JSON document, read with simdjson On-Demand into a small immutable
// tree that the request translations walk and copy from.
//
// Why not RapidJSON's reader (Debian's 1.1.0): its number parsing has out-of-bounds defects
// that a hostile body reaches (a number of ~780 digits killed the node). Why not simdjson's
// DOM: it turns every number into a double or a 64-bit integer, so `1E+2` would go out as
// `100.0` and an integer beyond 64 bits could not go out at all. Here a number keeps the
// text it arrived in (checked against RFC 8259's grammar), and the node interprets only the
// few it needs (Int64()).
//
// Everything a node refers to (strings unescaped, numbers, member names) is copied into the
// tree, so a tree does not depend on the input's lifetime, and one tree may be built while
// another is alive.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edge::providers {

enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// One value of a JsonTree; lives as long as its tree.
class JsonNode {
 public:
  JsonType type() const { return type_; }
  bool IsNull() const { return type_ == JsonType::kNull; }
  bool IsBool() const { return type_ == JsonType::kBool; }
  bool IsNumber() const { return type_ == JsonType::kNumber; }
  bool IsString() const { return type_ == JsonType::kString; }
  bool IsArray() const { return type_ == JsonType::kArray; }
  bool IsObject() const { return type_ == JsonType::kObject; }

  // true only for the literal `true`.
  bool GetBool() const { return bool_; }
  // A string's unescaped content, or a number's text exactly as written; "" otherwise.
  std::string_view text() const { return text_; }
  // A number written as an integer (no fraction, no exponent) within int64's range.
  std::optional<int64_t> Int64() const;

  // Elements of an array, members of an object; 0 for the other types.
  size_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  // The i-th element of an array, or the value of an object's i-th member (i < Size()).
  const JsonNode& operator[](size_t i) const { return children_[i]; }
  const JsonNode* begin() const { return children_; }
  const JsonNode* end() const { return children_ + size_; }
  // The member name of a value inside an object; "" for elements and the root.
  std::string_view name() const { return name_; }
  // The value of the member `name` of an object (the first one when duplicates were kept),
  // or nullptr when absent or when this is not an object.
  const JsonNode* Find(std::string_view name) const;

 private:
  friend class JsonTreeBuilder;
  JsonType type_ = JsonType::kNull;
  bool bool_ = false;
  uint32_t size_ = 0;
  size_t first_ = 0;  // index of the first child in the tree's nodes, while building
  const JsonNode* children_ = nullptr;
  std::string_view text_;
  std::string_view name_;
};

struct JsonReadOptions {
  // A key repeated within one object: refused (the default: RFC 8259 leaves the meaning of
  // duplicates to each reader, and a gateway whose reader keeps the first while the
  // provider's keeps the last can be made to check one value and send another), or kept.
  bool refuse_duplicate_keys = true;
  // Deeper nesting is refused: the tree is built and written recursively.
  int max_depth = 128;
  // More values are refused: each costs a node of about 50 bytes, so a body of 32 MiB of
  // `0,` must not become 800 MB. Real requests hold far fewer (a long conversation with
  // tools: thousands).
  size_t max_values = size_t{1} << 20;
};

class JsonTree {
 public:
  JsonTree() = default;
  JsonTree(const JsonTree&) = delete;
  JsonTree& operator=(const JsonTree&) = delete;
  JsonTree(JsonTree&&) = default;
  JsonTree& operator=(JsonTree&&) = default;

  // Reads `json`, which must be one valid UTF-8 JSON value with nothing after it but
  // whitespace. On failure the tree is empty and the Status is InvalidArgument whose message
  // is said of the input, to follow its name ("request body " + message): "is not valid
  // JSON: <what>[ at offset N]", "is not valid UTF-8", "has a duplicate key ..." or "holds
  // more than N JSON values".
  Status Parse(std::string_view json, const JsonReadOptions& options = {});

  // The document's value (a null before a successful Parse).
  const JsonNode& root() const { return nodes_.empty() ? kNull : nodes_.back(); }

 private:
  friend class JsonTreeBuilder;
  static const JsonNode kNull;
  // Unescaped strings, names and numbers. Reserved for the whole input before filling, so it
  // never reallocates; a vector, not a string, so that moving the tree keeps its buffer.
  std::vector<char> arena_;
  std::vector<JsonNode> nodes_;
};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes `node` and everything under it; numbers as they were written.
void WriteJson(JsonWriter& w, const JsonNode& node);
// `node` as minified JSON text.
std::string ToJsonText(const JsonNode& node);

// Whether `token` is a number as RFC 8259 section 6 spells it.
bool IsJsonNumber(std::string_view token);

}  // namespace edge::providers
