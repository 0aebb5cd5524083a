#include "node/admin/dashboard_assets.h"

#include <fstream>
#include <sstream>

#include "common/installed_file.h"

#ifndef EDGE_BUILD_CHART_JS
#define EDGE_BUILD_CHART_JS ""
#endif

namespace edge::admin {

// Defined in the dashboard_embed.cc that node/CMakeLists.txt generates.
extern const char kDashboardHtml[];
extern const char kDashboardJs[];
extern const char kDashboardCss[];

std::optional<DashboardFile> EmbeddedDashboardFile(std::string_view path) {
  if (path == "/dashboard" || path == "/dashboard/" || path == "/dashboard/index.html") {
    return DashboardFile{"text/html; charset=utf-8", kDashboardHtml};
  }
  if (path == "/dashboard/dashboard.js") {
    return DashboardFile{"text/javascript; charset=utf-8", kDashboardJs};
  }
  if (path == "/dashboard/dashboard.css") return DashboardFile{"text/css; charset=utf-8", kDashboardCss};
  return std::nullopt;
}

Result<std::string> ReadChartLibrary() {
  Result<std::string> path = FindInstalledFile("dashboard/chart.umd.min.js",
                                               "LLM_EDGE_DASHBOARD_CHART_JS", EDGE_BUILD_CHART_JS);
  if (!path.ok()) {
    return NotFound("the dashboard's chart library was not found (" + path.status().message() +
                    "); run scripts/setup.sh");
  }
  std::ifstream in(*path, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in.good() && !in.eof()) return Unavailable("could not read " + *path);
  return body.str();
}

}  // namespace edge::admin
