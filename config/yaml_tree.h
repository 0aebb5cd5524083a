#pragma once

// An exception-free copy of a parsed YAML document. yaml-cpp throws on bad input and on
// type conversions; yaml_tree.cc is the one place that calls it and turns every exception
// into an error, so the validation code walks plain data and never sees an exception.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace edge::config {

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kMap, kSeq };
  Kind kind = Kind::kNull;
  // kScalar: the text, quotes removed. A quoted "12" reads as a number where one is expected,
  // as PyYAML users expect; only an unquoted null/~/empty value is kNull.
  std::string scalar;
  int line = 0;                    // 1-based; the first line of the node
  std::vector<YamlEntry> entries;  // kMap, in file order, keys unique
  std::vector<YamlNode> items;     // kSeq

  bool is_map() const { return kind == Kind::kMap; }
  bool is_seq() const { return kind == Kind::kSeq; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_null() const { return kind == Kind::kNull; }
  // The value under `key` of a map, or nullptr.
  const YamlNode* Find(std::string_view key) const;
};

struct YamlEntry {
  std::string key;
  int key_line = 0;
  YamlNode value;
};

// Parses one YAML document into *out; an empty text is a null node. On failure returns
// kInvalidArgument with a message fit for users and sets *error_line (1-based) to the line of
// the problem. Merge keys (`<<: *anchor`) are applied, as PyYAML (and so LiteLLM) does;
// duplicate keys, non-scalar keys and a second document are errors, and a document whose
// aliases expand beyond a fixed node budget is refused (billion laughs).
Status ParseYaml(const std::string& text, YamlNode* out, int* error_line);

}  // namespace edge::config
