#pragma once

// GET /dashboard in Debian's headless chromium, driven by playwright-core
// (tests/e2e/browser/dashboard.mjs): what the page showed, as one JSON document.

#include <optional>
#include <string>

#include "tests/e2e/harness/json.h"
#include "tests/e2e/harness/process.h"

namespace edge::e2e {

// Why the browser tests cannot run here ("" when they can): chromium ($CHROMIUM, default
// /usr/bin/chromium) or tests/e2e/browser/node_modules/playwright-core is missing.
std::string BrowserMissing();

// "$12.345678": how the page (and `llm-edge spend`) writes micro-dollars.
std::string UsdText(int64_t micros);

struct DashboardView {
  bool ok = false;     // the script ran to the end (the page loaded, the screenshot saved)
  std::string output;  // its JSON line (and stderr)
  rapidjson::Document json;
};

// Opens http://127.0.0.1:<admin_port>/dashboard<query> with Basic credentials (the admin key)
// given after the 401 challenge, every other origin refused; saves a full-page screenshot.
DashboardView OpenDashboard(const TempDir& dir, uint16_t admin_port, const std::string& admin_key,
                            const std::string& screenshot, const std::string& query = "");

}  // namespace edge::e2e
