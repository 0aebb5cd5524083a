#pragma once

#include <string>
#include <vector>

namespace edge::cli {

// `llm-edge check --config FILE`: prints each error as FILE:LINE: key.path: message and
// returns 1, or prints "FILE: ok" and returns 0.
int RunCheck(const std::string& config_path);

// `llm-edge keygen`: prints `key: <key>` and `key_sha256: <hex>`.
int RunKeygen();

// `llm-edge keygen --node --data-dir DIR`: creates DIR/node_key.pem (the audit signing key,
// ECDSA P-256; an existing one is kept) and DIR/node_key.pub, and prints the public key (PEM).
int RunNodeKeygen(const std::string& data_dir);

// `llm-edge audit verify|export|residency ...` (node/cli/audit.cc): 0 ok, 1 a failed check
// (or a violation), 2 a usage or I/O problem.
int RunAudit(const std::vector<std::string>& args);

}  // namespace edge::cli
