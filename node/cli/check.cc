#include <cstdio>
#include <vector>

#include "config/config.h"
#include "node/cli/commands.h"
#include "node/runtime/geo_classifier.h"
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
  // What serve derives from the config (the geo database, URLs, CA files) must work too.
  Result<std::shared_ptr<const geo::Classifier>> geo = runtime::BuildGeoClassifier(*cfg);
  if (!geo.ok()) {
    std::printf("%s:1: %s\n", config_path.c_str(), geo.status().message().c_str());
    return 1;
  }
  // Not errors: such a deployment still serves unpinned traffic. But a pinned caller can
  // never reach it, which is rarely what its author meant.
  for (size_t i = 0; i < cfg->model_list.size(); ++i) {
    const config::Deployment& d = cfg->model_list[i];
    if (!d.jurisdiction.empty()) continue;
    std::printf(
        "%s:%d: model_list.%zu: warning: deployment %s has no known jurisdiction%s%s%s; it "
        "never receives pinned traffic (set model_info.jurisdiction, or a region listed in "
        "config/cloud_regions.yaml)\n",
        d.file.c_str(), d.line, i, d.id.c_str(),
        d.cloud_region.empty() ? "" : " (region ", d.cloud_region.c_str(),
        d.cloud_region.empty() ? "" : " is not in the region table)");
  }
  // Not an error (the node serves them), but never silently free: the ledger records their
  // requests as unpriced.
  for (size_t i = 0; i < cfg->model_list.size(); ++i) {
    const config::Deployment& d = cfg->model_list[i];
    if (d.price) continue;
    std::printf("%s:%d: model_list.%zu.litellm_params.model: warning: no known price for '%s' "
                "(price list of %s); its requests are recorded as unpriced; set "
                "model_info.input_cost_per_token and output_cost_per_token\n",
                d.file.c_str(), d.line, i, d.model.c_str(), cfg->prices_taken.c_str());
  }
  Result<std::shared_ptr<const runtime::Snapshot>> snap = runtime::Snapshot::Build(std::move(cfg).value());
  if (!snap.ok()) {
    std::printf("%s:1: model_list: %s\n", config_path.c_str(), snap.status().message().c_str());
    return 1;
  }
  std::printf("%s: ok\n", config_path.c_str());
  return 0;
}

}  // namespace edge::cli
