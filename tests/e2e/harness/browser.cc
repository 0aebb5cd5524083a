#include "tests/e2e/harness/browser.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {
namespace {

std::string Chromium() {
  const char* c = std::getenv("CHROMIUM");
  return c != nullptr && *c != 0 ? c : "/usr/bin/chromium";
}

}  // namespace

std::string UsdText(int64_t micros) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "$%lld.%06lld", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  return buf;
}

std::string BrowserMissing() {
  const std::string playwright = SourceDir() + "/tests/e2e/browser/node_modules/playwright-core";
  std::string missing;
  if (access(Chromium().c_str(), X_OK) != 0) missing = Chromium() + " (apt chromium)";
  if (!std::filesystem::exists(playwright)) {
    missing += (missing.empty() ? "" : " and ") + playwright + " (npm playwright-core)";
  }
  return missing;
}

DashboardView OpenDashboard(const TempDir& dir, uint16_t admin_port, const std::string& admin_key,
                            const std::string& screenshot, const std::string& query) {
  static int n = 0;
  std::filesystem::create_directories(std::filesystem::path(screenshot).parent_path());
  std::filesystem::remove(screenshot);
  Process page({"/usr/bin/env", "node", SourceDir() + "/tests/e2e/browser/dashboard.mjs",
                "http://127.0.0.1:" + std::to_string(admin_port), admin_key, screenshot, query},
               dir.path(), "dashboard-page" + std::to_string(n++), {{"CHROMIUM", Chromium()}});
  DashboardView v;
  auto code = page.Wait(std::chrono::seconds(120));
  v.output = page.Stdout() + page.Stderr();
  v.json = ParseJson(page.Stdout());
  v.ok = code == std::optional<int>(0) && !v.json.HasParseError();
  return v;
}

}  // namespace edge::e2e
