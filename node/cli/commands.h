#pragma once

#include <string>

namespace edge::cli {

// `llm-edge check --config FILE`: prints each error as FILE:LINE: key.path: message and
// returns 1, or prints "FILE: ok" and returns 0.
int RunCheck(const std::string& config_path);

// `llm-edge keygen`: prints `key: <key>` and `key_sha256: <hex>`.
int RunKeygen();

}  // namespace edge::cli
