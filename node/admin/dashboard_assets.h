#pragma once

// What GET /dashboard serves. The page's own files (node/admin/dashboard/index.html,
// dashboard.js, dashboard.css) are compiled in by node/CMakeLists.txt; the chart library
// (npm chart.js, installed by scripts/setup.sh) is read from disk where an installed file is
// found (common/installed_file.h): every asset comes from the node, none from a CDN.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::admin {

struct DashboardFile {
  std::string_view content_type;
  std::string_view body;
};

// `path` is the request path: "/dashboard", "/dashboard/" or "/dashboard/<file>".
// Nullopt for another file (the chart library is not one of these).
std::optional<DashboardFile> EmbeddedDashboardFile(std::string_view path);

// The request path the page loads the chart library from.
inline constexpr std::string_view kChartLibraryPath = "/dashboard/chart.umd.min.js";

// The chart library's bytes: the first readable of $LLM_EDGE_DASHBOARD_CHART_JS,
// <exe>/../share/llm-edge/dashboard/chart.umd.min.js, the build tree's copy,
// /usr/local/share/llm-edge/dashboard/chart.umd.min.js and /usr/share/llm-edge/...
// NotFound naming every place tried.
Result<std::string> ReadChartLibrary();

}  // namespace edge::admin
