// The documentation check (issue 12): every key the loader accepts has its entry in
// docs/configuration.md, and every key the reference's tables name is one the loader accepts.
//
// The accepted keys come from the loader itself: it reports every key its readers look up
// (LoadOptions::keys_seen: the same bookkeeping that names unknown keys as typos), here while
// it loads a config that has one item of every list and one jurisdiction, so that the readers
// of list items run too (a reader of an absent section still looks up its keys).

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "config/config.h"

namespace edge::config {
namespace {

constexpr char kSource[] = EDGE_SOURCE_DIR;

class MemoryFiles : public FileSource {
 public:
  Result<std::string> Read(const std::string& path) const override {
    if (path != "/docs/part.yaml") return NotFound("file not found");
    return std::string("teams: [{name: t}]\n");
  }
  std::string Identity(const std::string& path) const override { return path; }
};

// One of everything that has items: a model_list entry, a key, a team, a jurisdiction, a
// fallback, an include.
constexpr char kSkeleton[] = R"(include: [part.yaml]
jurisdictions:
  EU: {countries: [DE], pinned: true}
model_list:
  - model_name: m
    litellm_params: {model: openai/x, api_key: k}
    model_info: {id: m1}
  - model_name: n
    litellm_params: {model: openai/y, api_key: k}
router_settings:
  fallbacks: [{m: [n]}]
  context_window_fallbacks: [{m: [n]}]
keys:
  - {id: k, key_sha256: "0ed816e5c3fc2154650b2b401c1e086524743e36e81dda2d9ffe82a8686cf57f"}
)";

// "model_list.0.litellm_params.model" -> "model_list[].litellm_params.model";
// "jurisdictions.EU.pinned" -> "jurisdictions.<name>.pinned".
std::string Normalized(const std::string& path) {
  std::string out = std::regex_replace(path, std::regex(R"(\.[0-9]+(?=\.|$))"), "[]");
  return std::regex_replace(out, std::regex(R"(^jurisdictions\.EU)"), "jurisdictions.<name>");
}

std::set<std::string> AcceptedKeys() {
  std::set<std::string> seen;
  MemoryFiles files;
  LoadOptions options;
  options.files = &files;
  options.keys_seen = &seen;
  std::vector<ConfigError> errors;
  auto cfg = LoadFromString(kSkeleton, "/docs/skeleton.yaml", &errors, options);
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  std::set<std::string> keys;
  for (const std::string& p : seen) keys.insert(Normalized(p));
  return keys;
}

std::string Reference() {
  std::ifstream in(std::string(kSource) + "/docs/configuration.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConfigDocs, EveryAcceptedKeyIsInTheReference) {
  std::set<std::string> keys = AcceptedKeys();
  // The loader reads every section: the skeleton reached it.
  for (const char* k : {"include", "node.listen", "model_list[].litellm_params.api_base",
                        "model_list[].model_info.id", "keys[].key_sha256", "teams[].name",
                        "jurisdictions.<name>.countries", "log.access"}) {
    EXPECT_EQ(keys.count(k), 1u) << k << " was not looked up: the skeleton misses a branch";
  }
  std::string doc = Reference();
  ASSERT_FALSE(doc.empty()) << "docs/configuration.md is missing";
  for (const std::string& k : keys) {
    EXPECT_NE(doc.find("`" + k + "`"), std::string::npos)
        << "docs/configuration.md has no entry for `" << k
        << "`: add a row for it (the loader accepts it)";
  }
}

TEST(ConfigDocs, EveryKeyInTheReferenceTablesIsAccepted) {
  std::set<std::string> keys = AcceptedKeys();
  std::istringstream doc(Reference());
  int rows = 0;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, std::regex(R"(^\| `([^`]+)` \|)"))) continue;
    ++rows;
    EXPECT_EQ(keys.count(m[1]), 1u)
        << "docs/configuration.md documents `" << m[1] << "`, which the loader does not read";
  }
  EXPECT_GT(rows, 80);
}

}  // namespace
}  // namespace edge::config
