// Where the built-in default database is found. The build writes it into the build tree
// (EDGE_BUILD_GEOIP_DB, set by geo/CMakeLists.txt) and scripts/setup.sh installs it under
// /usr/local/share/llm-edge, so a node finds one whether it runs from the build tree, from an
// installed prefix or from a copied binary on a host that ran the set-up script.

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "geo/geo.h"

#ifndef EDGE_BUILD_GEOIP_DB
#define EDGE_BUILD_GEOIP_DB ""
#endif

namespace edge::geo {
namespace {

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

Result<std::string> BuiltinDatabasePath() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("LLM_EDGE_GEOIP_DB"); env != nullptr && *env != 0) {
    candidates.emplace_back(env);
  }
  std::string exe_dir = ExecutableDir();
  if (!exe_dir.empty()) candidates.push_back(exe_dir + "/../share/llm-edge/geoip.mmdb");
  if (*EDGE_BUILD_GEOIP_DB != 0) candidates.emplace_back(EDGE_BUILD_GEOIP_DB);
  candidates.emplace_back("/usr/local/share/llm-edge/geoip.mmdb");
  candidates.emplace_back("/usr/share/llm-edge/geoip.mmdb");
  std::string tried;
  for (const std::string& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) return c;
    tried += (tried.empty() ? "" : ", ") + c;
  }
  return NotFound("the built-in GeoIP database was not found (tried " + tried +
                  "); run scripts/setup.sh, or set geo.database to a country .mmdb");
}

}  // namespace edge::geo
