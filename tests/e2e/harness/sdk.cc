#include "tests/e2e/harness/sdk.h"

#include <regex>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {

long SdkResult::Number(const std::string& key) const {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":([0-9]+)"))) return -1;
  return std::stol(m[1]);
}

std::string SdkResult::String(const std::string& key) const {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":\"([^\"]*)\""))) return "";
  return m[1];
}

SdkResult RunSdk(const TempDir& dir, const std::string& kind, uint16_t port,
                 const std::string& model, bool stream, const std::string& extra_params_json) {
  static int n = 0;
  std::vector<std::string> argv = {"/usr/bin/env", "node",
                                   SourceDir() + "/tests/e2e/sdk/client.mjs", kind,
                                   "http://127.0.0.1:" + std::to_string(port), kTestKey, model,
                                   stream ? "stream" : "whole"};
  if (!extra_params_json.empty()) argv.push_back(extra_params_json);
  Process p(argv, dir.path(), "sdk" + std::to_string(n++));
  SdkResult r;
  auto code = p.Wait(std::chrono::seconds(60));
  r.json = p.Stdout() + p.Stderr();
  r.ok = code == std::optional<int>(0) && r.json.find("\"ok\":true") != std::string::npos;
  return r;
}

}  // namespace edge::e2e
