#pragma once

// The geo classifier of a config: its database (geo.database, or the built-in one), trusted
// proxies and country -> jurisdiction table. serve builds one per config snapshot, so a
// reload swaps the database together with the config that names it.

#include <memory>

#include "common/result.h"
#include "config/config.h"
#include "geo/geo.h"

namespace edge::runtime {

// Opens the database; fails with a message naming it (missing, unreadable, not an .mmdb).
Result<std::shared_ptr<const geo::Classifier>> BuildGeoClassifier(const config::Config& config);

}  // namespace edge::runtime
