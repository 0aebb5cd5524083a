// The region -> jurisdiction table (config/cloud_regions.yaml) and how a deployment's region
// is found: Bedrock regions and inference profiles, Azure regions, Vertex locations.

#include "config/cloud_regions.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_tree.h"

namespace edge::config {
namespace {

// The jurisdiction and region of one deployment with these litellm_params / model_info.
std::pair<std::string, std::string> Derived(const std::string& params,
                                            const std::string& info = "") {
  std::string yaml = "model_list:\n  - model_name: m\n    litellm_params: {" + params + "}\n";
  if (!info.empty()) yaml += "    model_info: {" + info + "}\n";
  auto cfg = LoadFromString(yaml, "r.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  if (!cfg.ok()) return {};
  return {cfg->model_list[0].jurisdiction, cfg->model_list[0].cloud_region};
}

using P = std::pair<std::string, std::string>;

TEST(CloudRegions, BedrockRegionsAndInferenceProfiles) {
  const std::string creds = ", aws_access_key_id: a, aws_secret_access_key: s";
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: eu-central-1" + creds),
            P("EU", "eu-central-1"));
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: eu-west-3" + creds),
            P("EU", "eu-west-3"));
  // London and Zurich are eu-* regions outside the EU.
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: eu-west-2" + creds).first,
            "GB");
  EXPECT_EQ(
      Derived("model: bedrock/anthropic.claude-3, aws_region_name: eu-central-2" + creds).first,
      "CH");
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: us-west-2" + creds).first,
            "US");
  // A profile decides where the request may be served, whatever region it is sent to.
  EXPECT_EQ(Derived("model: bedrock/eu.anthropic.claude-3, aws_region_name: us-east-1" + creds)
                .first,
            "EU");
  EXPECT_EQ(Derived("model: bedrock/converse/us.anthropic.claude-3, aws_region_name: eu-west-1" +
                    creds)
                .first,
            "US");
  EXPECT_EQ(Derived("model: bedrock/apac.anthropic.claude-3, aws_region_name: ap-south-1" + creds)
                .first,
            "APAC");
  EXPECT_EQ(Derived("model: bedrock/global.anthropic.claude-3, aws_region_name: eu-west-1" +
                    creds)
                .first,
            "");
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: xx-nowhere-9" + creds),
            P("", "xx-nowhere-9"));
}

TEST(CloudRegions, AzureRegions) {
  const std::string base = "model: azure/gpt-4o, api_key: k, ";
  EXPECT_EQ(Derived(base + "api_base: \"https://r.openai.azure.com\", region_name: westeurope"),
            P("EU", "westeurope"));
  EXPECT_EQ(Derived(base + "api_base: \"https://r.openai.azure.com\", region_name: SwedenCentral"),
            P("EU", "swedencentral"));
  EXPECT_EQ(Derived(base + "api_base: \"https://r.openai.azure.com\", region_name: eastus2").first,
            "US");
  EXPECT_EQ(Derived(base + "api_base: \"https://r.openai.azure.com\", region_name: uksouth").first,
            "GB");
  // The resource host names no region: unknown.
  EXPECT_EQ(Derived(base + "api_base: \"https://r.openai.azure.com\""), P("", ""));
  EXPECT_EQ(Derived("model: openai/m, api_key: k, "
                    "api_base: \"https://x.francecentral.models.ai.azure.com/v1\""),
            P("EU", "francecentral"));
  EXPECT_EQ(Derived("model: openai/m, api_key: k, "
                    "api_base: \"https://x.eastus.inference.ai.azure.com/v1\""),
            P("US", "eastus"));
  EXPECT_EQ(Derived(base + "api_base: \"https://germanywestcentral.api.cognitive.microsoft.com\""),
            P("EU", "germanywestcentral"));
}

TEST(CloudRegions, VertexLocations) {
  EXPECT_EQ(Derived("model: gemini/gemini-2.0-flash, api_key: k, vertex_location: europe-west4"),
            P("EU", "europe-west4"));
  EXPECT_EQ(Derived("model: gemini/gemini-2.0-flash, api_key: k, vertex_location: europe-west2")
                .first,
            "GB");
  EXPECT_EQ(Derived("model: gemini/gemini-2.0-flash, api_key: k, "
                    "api_base: \"https://us-central1-aiplatform.googleapis.com\""),
            P("US", "us-central1"));
  // The global Gemini API names no location.
  EXPECT_EQ(Derived("model: gemini/gemini-2.0-flash, api_key: k"), P("", ""));
}

TEST(CloudRegions, DeclaredJurisdictionWinsAndOthersStayUnknown) {
  const std::string creds = ", aws_access_key_id: a, aws_secret_access_key: s";
  EXPECT_EQ(Derived("model: bedrock/anthropic.claude-3, aws_region_name: us-east-1" + creds,
                    "jurisdiction: EU")
                .first,
            "EU");
  EXPECT_EQ(Derived("model: openai/gpt-4o, api_key: k").first, "");
  EXPECT_EQ(Derived("model: anthropic/claude-sonnet-4-6, api_key: k").first, "");
  // A region_name the clouds would read differently is not guessed; an unknown one is unknown.
  EXPECT_EQ(Derived("model: openai/m, api_key: k, api_base: \"http://127.0.0.1:1/v1\", "
                    "region_name: westeurope")
                .first,
            "EU");
  EXPECT_EQ(Derived("model: openai/m, api_key: k, api_base: \"http://127.0.0.1:1/v1\", "
                    "region_name: moon-1")
                .first,
            "");
}

// Every region once per table; names are jurisdiction names a config can use.
TEST(CloudRegions, TableIsWellFormed) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/config/cloud_regions.yaml");
  std::stringstream text;
  text << in.rdbuf();
  YamlNode root;
  int line = 0;
  ASSERT_TRUE(ParseYaml(text.str(), &root, &line).ok());
  ASSERT_TRUE(root.is_map());
  std::set<std::string> tables;
  for (const YamlEntry& table : root.entries) {
    tables.insert(table.key);
    std::set<std::string> seen;
    for (const YamlEntry& j : table.value.entries) {
      EXPECT_FALSE(j.key.empty());
      for (const YamlNode& r : j.value.items) {
        EXPECT_TRUE(seen.insert(r.scalar).second) << table.key << ": " << r.scalar << " twice";
        EXPECT_EQ(RegionJurisdiction(table.key, r.scalar), j.key) << r.scalar;
      }
    }
    EXPECT_GT(seen.size(), 5u) << table.key;
  }
  EXPECT_EQ(tables, (std::set<std::string>{"aws", "azure", "gcp", "bedrock_profiles"}));
  EXPECT_EQ(RegionJurisdiction("aws", "nowhere-1"), "");
  EXPECT_EQ(RegionJurisdiction("nowhere", "eu-west-1"), "");
}

}  // namespace
}  // namespace edge::config
