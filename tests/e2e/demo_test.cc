// The README's run command, scripts/demo.sh, on this build's llm-edge (LLM_EDGE_BINARY skips
// its set-up and build): three federated regions with fake providers on loopback, tagged
// traffic from EU and US addresses, then the global spend table, the EU residency proof and
// the dashboard URL; every process it started is gone when it exits, after printing
// (LLM_EDGE_DEMO_EXIT=1) or on Ctrl-C (SIGINT).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "tests/e2e/harness/browser.h"
#include "tests/e2e/harness/cluster.h"

#ifndef EDGE_ARTIFACT_DIR
#define EDGE_ARTIFACT_DIR "/tmp"
#endif

namespace edge::e2e {
namespace {

// Every loopback port of the demo, shifted by `offset`.
std::vector<uint16_t> DemoPorts(int offset) {
  std::vector<uint16_t> ports;
  for (int p : {8080, 8081, 8090, 8091, 8100, 8101, 7946, 7947, 7948, 9901, 9902, 9903}) {
    ports.push_back(static_cast<uint16_t>(p + offset));
  }
  return ports;
}

bool Listening(uint16_t port) { return Connection::Open(port) != nullptr; }

// An offset whose ports are all free now, below the ephemeral range.
int FreeOffset() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int offset = 12000 + static_cast<int>((getpid() * 7919 + attempt * 131) % 12000);
    bool free = true;
    for (uint16_t p : DemoPorts(offset)) free = free && !Listening(p);
    if (free) return offset;
  }
  return -1;
}

std::map<std::string, std::string> DemoEnv(const TempDir& dir, int offset, bool exit_after) {
  std::map<std::string, std::string> env = {{"LLM_EDGE_BINARY", BinaryPath()},
                                            {"LLM_EDGE_DEMO_DIR", dir.path()},
                                            {"LLM_EDGE_DEMO_PORT_OFFSET", std::to_string(offset)}};
  if (exit_after) env["LLM_EDGE_DEMO_EXIT"] = "1";
  return env;
}

TEST(Demo, ThreeRegionsPrintGlobalSpendResidencyAndTheDashboardThenStop) {
  TempDir dir;
  const int offset = FreeOffset();
  ASSERT_GE(offset, 0);
  Process demo({"/bin/bash", SourceDir() + "/scripts/demo.sh"}, dir.path(), "demo",
               DemoEnv(dir, offset, true));
  ASSERT_EQ(demo.Wait(120s), std::optional<int>(0)) << demo.Stdout() << demo.Stderr();
  const std::string out = demo.Stdout();

  // Eight requests, each answered; EU callers always in the EU, whichever region they reach.
  std::regex line(R"(caller (\S+) +\((\w\w)\) -> (\S+) +team=(\S+) +feature=(\S+) +(\d+) +jurisdiction=(\S+); source=ip deployment=(\S+))");
  int calls = 0, eu_calls = 0;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) {
    const std::smatch& m = *it;
    ++calls;
    EXPECT_EQ(m[6], "200") << m[0];
    if (m[2] == "DE" || m[2] == "NL") {
      ++eu_calls;
      EXPECT_EQ(m[7], "EU") << m[0];
      EXPECT_EQ(m[8], "openai-eu") << m[0];
    } else {
      EXPECT_EQ(m[7], "none") << m[0];
    }
  }
  EXPECT_EQ(calls, 8) << out;
  EXPECT_EQ(eu_calls, 5) << out;

  // The global table: every region federated into eu-west's view, all eight requests once.
  EXPECT_EQ(out.find("has not converged"), std::string::npos) << out;
  for (const char* row : {R"(\nads +us-east +2 )", R"(\ngrowth +ap-southeast +2 )",
                          R"(\nsearch +eu-west +2 )", R"(\nads +eu-west +1 )",
                          R"(\nsearch +us-east +1 )", R"(\nTOTAL +8 )"}) {
    EXPECT_TRUE(std::regex_search(out, std::regex(row))) << row << "\n" << out;
  }
  for (const char* region : {"eu-west", "us-east", "ap-southeast"}) {
    EXPECT_TRUE(std::regex_search(out, std::regex(std::string("region ") + region + ": as of \\S+, reachable")))
        << region << "\n" << out;
  }
  // eu-west's own proof: its three EU callers, served in the EU.
  EXPECT_NE(out.find("EU pinned=3 served_in=3 refused=0 violations=0"), std::string::npos) << out;
  const std::string url = "http://127.0.0.1:" + std::to_string(8081 + offset) + "/dashboard";
  EXPECT_NE(out.find("Dashboard: " + url), std::string::npos) << out;
  EXPECT_NE(out.find("admin-demo-key"), std::string::npos) << out;

  // Nothing it started is left.
  for (uint16_t p : DemoPorts(offset)) EXPECT_FALSE(Listening(p)) << "port " << p << " still open";
}

TEST(Demo, CtrlCStopsEverythingItStarted) {
  TempDir dir;
  const int offset = FreeOffset();
  ASSERT_GE(offset, 0);
  Process demo({"/bin/bash", SourceDir() + "/scripts/demo.sh"}, dir.path(), "demo",
               DemoEnv(dir, offset, false));
  ASSERT_TRUE(demo.WaitForLine("Ctrl-C stops the cluster.", false, 120s)) << demo.Stdout()
                                                                           << demo.Stderr();
  for (uint16_t p : DemoPorts(offset)) EXPECT_TRUE(Listening(p)) << "port " << p;

  // While it runs, eu-west's dashboard shows the global view: every region's spend, the
  // figures of /admin/spend?scope=global, and the federation's members.
  if (std::string missing = BrowserMissing(); !missing.empty()) {
    std::printf("demo dashboard not opened: %s is not installed\n", missing.c_str());
  } else {
    const uint16_t admin = static_cast<uint16_t>(8081 + offset);
    auto spend = Request(admin, "GET", "/admin/spend?group_by=team&scope=global",
                         {{"Authorization", "Bearer admin-demo-key"}});
    ASSERT_TRUE(spend && spend->status == 200);
    rapidjson::Document global = ParseJson(spend->body);
    const std::string shot = std::string(EDGE_ARTIFACT_DIR) + "/dashboard-demo-global.png";
    DashboardView view = OpenDashboard(dir, admin, "admin-demo-key", shot);
    ASSERT_TRUE(view.ok) << view.output;
    const std::string& dump = view.output;
    EXPECT_EQ(JsonString(view.json, "ready"), "1") << dump;
    EXPECT_EQ(JsonString(view.json, "scope"), "global") << dump;
    EXPECT_EQ(JsonAt(view.json, "refused")->Size(), 0u) << dump;
    EXPECT_EQ(JsonAt(view.json, "console_errors")->Size(), 0u) << dump;
    EXPECT_EQ(JsonString(view.json, "total.cost_text"),
              UsdText(JsonInt(global, "totals.cost_micro_usd")))
        << dump;
    EXPECT_EQ(JsonAt(view.json, "teams")->Size(), JsonAt(global, "rows")->Size()) << dump;
    for (const auto& row : JsonAt(global, "rows")->GetArray()) {
      bool found = false;
      for (const auto& t : JsonAt(view.json, "teams")->GetArray()) {
        if (JsonString(t, "key") != JsonString(row, "team")) continue;
        found = true;
        EXPECT_EQ(JsonInt(t, "cost_micro_usd"), JsonInt(row, "cost_micro_usd")) << dump;
      }
      EXPECT_TRUE(found) << JsonString(row, "team") << " not shown: " << dump;
    }
    std::vector<std::string> regions;
    for (const auto& r : JsonAt(view.json, "regions")->GetArray()) regions.push_back(JsonString(r, "key"));
    std::sort(regions.begin(), regions.end());
    EXPECT_EQ(regions, (std::vector<std::string>{"ap-southeast", "eu-west", "us-east"})) << dump;
    EXPECT_EQ(JsonAt(view.json, "peers")->Size(), 3u) << dump;
    std::printf("demo dashboard screenshot: %s\n", shot.c_str());
  }

  demo.Signal(SIGINT);
  auto code = demo.Wait(60s);
  ASSERT_TRUE(code) << "the demo did not stop on SIGINT";
  EXPECT_EQ(*code, 130);
  for (uint16_t p : DemoPorts(offset)) EXPECT_FALSE(Listening(p)) << "port " << p << " still open";
}

}  // namespace
}  // namespace edge::e2e
