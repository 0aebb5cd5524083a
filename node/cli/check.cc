#include <cstdio>
#include <vector>

#include "config/config.h"
#include "node/cli/commands.h"
#include "node/runtime/snapshot.h"

namespace edge::cli {

int RunCheck(const std::string& config_path) {
  std::vector<config::ConfigError> errors;
  Result<config::Config> cfg = config::Load(config_path, &errors);
  if (!cfg.ok()) {
    for (const auto& e : errors) std::printf("%s\n", e.ToString().c_str());
    if (errors.empty()) std::printf("%s: %s\n", config_path.c_str(), cfg.status().message().c_str());
    return 1;
  }
  // What serve derives from the config (URLs, CA files) must work too.
  Result<std::shared_ptr<const runtime::Snapshot>> snap = runtime::Snapshot::Build(std::move(cfg).value());
  if (!snap.ok()) {
    std::printf("%s:1: model_list: %s\n", config_path.c_str(), snap.status().message().c_str());
    return 1;
  }
  std::printf("%s: ok\n", config_path.c_str());
  return 0;
}

}  // namespace edge::cli
