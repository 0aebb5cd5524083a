#include "node/runtime/geo_classifier.h"

namespace edge::runtime {

Result<std::shared_ptr<const geo::Classifier>> BuildGeoClassifier(const config::Config& config) {
  geo::Settings s;
  s.database = config.geo.database;
  s.trusted_proxies = config.geo.trusted_proxies;
  s.jurisdiction_by_country = config.jurisdiction_by_country;
  s.node_jurisdiction = config.node.jurisdiction;
  s.unknown_caller = config.geo.unknown_caller;
  return geo::Classifier::Create(std::move(s));  // errors name geo.database / geo.trusted_proxies
}

}  // namespace edge::runtime
