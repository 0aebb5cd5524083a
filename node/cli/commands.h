#pragma once

#include <string>
#include <vector>

namespace edge::cli {

// `llm-edge check --config FILE`: prints each error as FILE:LINE: key.path: message and
// returns 1, or prints "FILE: ok" and returns 0.
int RunCheck(const std::string& config_path);

// `llm-edge geo lookup IP --config FILE [--explain]`: prints `IP COUNTRY JURISDICTION
// source=ip|node|deny` (country "--" when the database cannot place it, jurisdiction "none"
// when it has none) and returns 0; with explain, the deployments a pinned request from there
// may use. Returns 2 when IP is not an address, 1 when the config or database cannot be used.
int RunGeoLookup(const std::string& ip, const std::string& config_path, bool explain);

// `llm-edge spend (--url URL --admin-key K | --data-dir DIR) [--by ...] [--period ...]
// [--from T --to T] [--format table|csv|json]`: 0, 1 when the node or store could not be
// read, 2 for bad options.
int RunSpend(const std::vector<std::string>& args);

// `llm-edge keygen`: prints `key: <key>` and `key_sha256: <hex>`.
int RunKeygen();

// `llm-edge keygen --node --data-dir DIR`: creates DIR/node_key.pem (the audit signing key,
// ECDSA P-256; an existing one is kept) and DIR/node_key.pub, and prints the public key (PEM).
int RunNodeKeygen(const std::string& data_dir);

// `llm-edge audit verify|export|residency ...` (node/cli/audit.cc): 0 ok, 1 a failed check
// (or a violation), 2 a usage or I/O problem.
int RunAudit(const std::vector<std::string>& args);

}  // namespace edge::cli
