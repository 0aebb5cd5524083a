// Where the built-in default database is found. The build writes it into the build tree
// (EDGE_BUILD_GEOIP_DB, set by geo/CMakeLists.txt) and scripts/setup.sh installs it under
// /usr/local/share/llm-edge, so a node finds one whether it runs from the build tree, from an
// installed prefix or from a copied binary on a host that ran the set-up script.

#include "common/installed_file.h"
#include "geo/geo.h"

#ifndef EDGE_BUILD_GEOIP_DB
#define EDGE_BUILD_GEOIP_DB ""
#endif

namespace edge::geo {

Result<std::string> BuiltinDatabasePath() {
  Result<std::string> path = FindInstalledFile("geoip.mmdb", "LLM_EDGE_GEOIP_DB", EDGE_BUILD_GEOIP_DB);
  if (path.ok()) return path;
  return NotFound("the built-in GeoIP database was not found (" + path.status().message() +
                  "); run scripts/setup.sh, or set geo.database to a country .mmdb");
}

}  // namespace edge::geo
