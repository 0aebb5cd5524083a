// `llm-edge geo lookup IP --config FILE [--explain]`: how the node would place a caller
// whose address is IP, with the config's database, jurisdictions and geo.unknown_caller.

#include <maxminddb.h>

#include <cstdio>
#include <map>
#include <vector>

#include "config/config.h"
#include "node/cli/commands.h"
#include "node/runtime/geo_classifier.h"

namespace edge::cli {
namespace {

const char* SourceName(geo::Placement::Source s) {
  switch (s) {
    case geo::Placement::Source::kIp:
      return "ip";
    case geo::Placement::Source::kNode:
      return "node";
    case geo::Placement::Source::kDeny:
      return "deny";
  }
  return "node";
}

// The deployments a request pinned to `jurisdiction` may use, per model alias.
void Explain(const config::Config& cfg, std::string_view jurisdiction,
             geo::Placement::Source source) {
  if (source == geo::Placement::Source::kDeny) {
    std::printf("geo.unknown_caller is deny: requests from this caller are refused (403)\n");
    return;
  }
  auto j = cfg.jurisdictions.find(jurisdiction);
  if (j == cfg.jurisdictions.end() || !j->second.pinned) {
    std::printf("%s is not pinned: any deployment may serve this caller (unless its key's "
                "residency or X-Edge-Residency pins it)\n",
                jurisdiction.empty() ? "the caller's jurisdiction" : std::string(jurisdiction).c_str());
    return;
  }
  std::printf("%s is pinned: a request from this caller may use only these deployments:\n",
              std::string(jurisdiction).c_str());
  std::map<std::string, std::vector<const config::Deployment*>> by_alias;
  for (const config::Deployment& d : cfg.model_list) {
    auto& list = by_alias[d.model_name];
    if (d.jurisdiction == jurisdiction) list.push_back(&d);
  }
  for (const auto& [alias, list] : by_alias) {
    if (list.empty()) {
      std::printf("  %s: none (such requests get 503)\n", alias.c_str());
      continue;
    }
    for (const config::Deployment* d : list) {
      std::printf("  %s: %s (%s%s%s)\n", alias.c_str(), d->id.c_str(), d->jurisdiction.c_str(),
                  d->cloud_region.empty() ? "" : ", ", d->cloud_region.c_str());
    }
  }
}

}  // namespace

int RunGeoLookup(const std::string& ip, const std::string& config_path, bool explain) {
  geo::IpAddress address;
  if (!geo::ParseIp(ip, &address)) {
    std::fprintf(stderr, "llm-edge geo lookup: '%s' is not an IPv4 or IPv6 address\n", ip.c_str());
    return 2;
  }
  std::vector<config::ConfigError> errors;
  Result<config::Config> cfg = config::Load(config_path, &errors);
  if (!cfg.ok()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    if (errors.empty()) {
      std::fprintf(stderr, "%s: %s\n", config_path.c_str(), cfg.status().message().c_str());
    }
    return 1;
  }
  Result<std::shared_ptr<const geo::Classifier>> geo = runtime::BuildGeoClassifier(*cfg);
  if (!geo.ok()) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), geo.status().message().c_str());
    return 1;
  }
  int mmdb_error = 0;
  geo::Placement p = (*geo)->Place(address, &mmdb_error);
  if (mmdb_error != 0) {
    std::fprintf(stderr, "llm-edge geo lookup: %s: %s\n", (*geo)->database().path().c_str(),
                 MMDB_strerror(mmdb_error));
  }
  std::string country(p.country.empty() ? std::string_view("--") : p.country.view());
  std::string jurisdiction(p.jurisdiction.empty() ? std::string_view("none") : p.jurisdiction);
  std::printf("%s %s %s source=%s\n", ip.c_str(), country.c_str(), jurisdiction.c_str(),
              SourceName(p.source));
  if (explain) Explain(*cfg, p.jurisdiction, p.source);
  return 0;
}

}  // namespace edge::cli
