#include "node/runtime/geo_classifier.h"

namespace edge::runtime {

Result<std::shared_ptr<const geo::Classifier>> BuildGeoClassifier(const config::Config& config) {
  geo::Settings s;
  s.database = config.geo.database;
  s.trusted_proxies = config.geo.trusted_proxies;
  s.jurisdiction_by_country = config.jurisdiction_by_country;
  s.node_jurisdiction = config.node.jurisdiction;
  s.unknown_caller = config.geo.unknown_caller;
  Result<std::shared_ptr<const geo::Classifier>> c = geo::Classifier::Create(std::move(s));
  if (!c.ok()) return Status(c.status().code(), "geo.database: " + c.status().message());
  return c;
}

}  // namespace edge::runtime
