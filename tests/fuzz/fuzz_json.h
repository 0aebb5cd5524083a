#pragma once

// JSON checks for the fuzz harnesses. They read what the code under test wrote, which carries
// the fuzzer's bytes (numbers of any length among them), so they use the node's own reader:
// RapidJSON 1.1's reader crashes on some numbers, and a harness must not crash by itself.

#include <string>
#include <string_view>

#include "providers/json_tree.h"

namespace edge::fuzz {

// Whether `text` is one valid JSON value. Duplicate keys pass (the code under test may relay
// them from a provider), and nesting as deep as simdjson's DOM takes.
inline bool IsJson(std::string_view text) {
  providers::JsonTree tree;
  providers::JsonReadOptions options;
  options.refuse_duplicate_keys = false;
  options.max_depth = 1100;
  return tree.Parse(text, options).ok();
}

}  // namespace edge::fuzz
