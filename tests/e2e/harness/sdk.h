#pragma once

// The official SDKs (npm `openai` and `@anthropic-ai/sdk`) calling a running node, through
// tests/e2e/sdk/client.mjs: what the SDK understood comes back as one JSON line.

#include <string>

#include "tests/e2e/harness/process.h"

namespace edge::e2e {

struct SdkResult {
  bool ok = false;   // the SDK call succeeded (exit 0 and "ok":true)
  std::string json;  // client.mjs's line (stdout and stderr)
  // The first `"key":<digits>` in the line, else -1.
  long Number(const std::string& key) const;
  // The first `"key":"<text>"` in the line, else "".
  std::string String(const std::string& key) const;
};

// Runs `node client.mjs <kind> http://127.0.0.1:<port> <test key> <model> <stream|whole>
// [<extra params JSON>]` in `dir`, waiting up to a minute. `extra_params_json` is merged into
// the SDK call's parameters (e.g. `{"previous_response_id":"resp_1"}`).
SdkResult RunSdk(const TempDir& dir, const std::string& kind, uint16_t port,
                 const std::string& model, bool stream, const std::string& extra_params_json = "");

}  // namespace edge::e2e
