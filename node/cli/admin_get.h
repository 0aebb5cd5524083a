#pragma once

// A GET to a node's admin listener from the command line (`spend --url`, and other commands
// that read a running node): one request on a private loop with the node's own HTTP client,
// so https admin listeners (node.admin_tls) work with the system CA bundle.

#include <string>

#include "common/result.h"

namespace edge::cli {

struct AdminResponse {
  int status = 0;
  std::string body;
};

// GET `base_url` + `path_and_query` with `Authorization: Bearer <admin_key>`; at most
// `timeout_ms`. Connection failures are kUnavailable naming the URL.
Result<AdminResponse> AdminGet(const std::string& base_url, const std::string& path_and_query,
                               const std::string& admin_key, uint32_t timeout_ms = 30000);

}  // namespace edge::cli
