#include "config/prices.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.h"

namespace edge::config {
namespace {

TEST(Prices, TheBuiltInListIsTheFileAndParses) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/config/prices.yaml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), kBuiltInPricesYaml);
  const PriceList& list = BuiltInPrices();
  EXPECT_FALSE(list.taken.empty());
  EXPECT_GE(list.models.size(), 30u);
  const TokenPrice& p = list.models.at("gpt-4o-mini");
  EXPECT_EQ(p.input, 150'000);
  EXPECT_EQ(p.output, 600'000);
  EXPECT_EQ(p.cached_input, 75'000);
  // No cached price listed: cached tokens cost the input price.
  EXPECT_EQ(list.models.at("gpt-4-turbo").cached_input, list.models.at("gpt-4-turbo").input);
}

TEST(Prices, MalformedListsAreRefusedWithLineAndKey) {
  auto r = ParsePriceList("taken: x\nmodels:\n  a: {input: -1, output: 2}\n  b: {input: 1}\n"
                          "  c: {input: 1, output: 1, oops: 2}\n  d: 3\n",
                          "p.yaml");
  ASSERT_FALSE(r.ok());
  const std::string m = r.status().message();
  EXPECT_NE(m.find("p.yaml:3: models.a.input: must be USD per 1M tokens"), std::string::npos) << m;
  EXPECT_NE(m.find("models.b.output: is required"), std::string::npos) << m;
  EXPECT_NE(m.find("models.c.oops: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("models.d: must be"), std::string::npos) << m;
  EXPECT_FALSE(ParsePriceList("models: [1, 2]\n", "p.yaml").ok());
  EXPECT_FALSE(ParsePriceList("models: {a: {input: 1e400, output: 1}}\n", "p.yaml").ok());
  EXPECT_FALSE(ParsePriceList("models: {a: {input: 1x, output: 1}}\n", "p.yaml").ok());
  EXPECT_FALSE(ParsePriceList(": : :\n", "p.yaml").ok());
}

TEST(Prices, LookupNamesGoFromSpecificToGeneral) {
  auto names = PriceLookupNames("bedrock", "eu.anthropic.claude-sonnet-4-20250514-v1:0");
  EXPECT_EQ(names.front(), "bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0");
  EXPECT_EQ(names.back(), "claude-sonnet-4");
  names = PriceLookupNames("openai", "gpt-4o-2024-08-06");
  EXPECT_EQ(names.back(), "gpt-4o");
  names = PriceLookupNames("bedrock", "amazon.nova-pro-v1:0");
  EXPECT_EQ(names.back(), "nova-pro");
  names = PriceLookupNames("anthropic", "claude-3-5-haiku-latest");
  EXPECT_EQ(names.back(), "claude-3-5-haiku");
}

TEST(Prices, TheModelsOfTheExampleConfigsArePriced) {
  auto cfg = LoadFromString(R"(model_list:
  - model_name: a
    litellm_params: {model: anthropic/claude-sonnet-4-6, api_key: k}
  - model_name: b
    litellm_params: {model: bedrock/eu.anthropic.claude-sonnet-4-6, aws_region_name: eu-central-1}
  - model_name: c
    litellm_params: {model: anthropic/claude-opus-4-6, api_key: k}
  - model_name: d
    litellm_params: {model: openai/gpt-5.1, api_key: k}
)", "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const auto& m = cfg->model_list;
  ASSERT_EQ(m.size(), 4u);
  for (const auto& d : m) ASSERT_TRUE(d.price) << d.model_name;
  EXPECT_EQ(*m[0].price, (TokenPrice{3'000'000, 15'000'000, 300'000}));
  EXPECT_EQ(m[1].price_name, "claude-sonnet-4-6");
  EXPECT_EQ(*m[2].price, (TokenPrice{5'000'000, 25'000'000, 500'000}));
  EXPECT_EQ(*m[3].price, (TokenPrice{1'250'000, 10'000'000, 125'000}));
}

constexpr char kModels[] = R"(model_list:
  - model_name: a
    litellm_params: {model: openai/gpt-4o-mini, api_key: k}
  - model_name: b
    litellm_params: {model: bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0, aws_region_name: eu-central-1}
  - model_name: c
    litellm_params: {model: openai/my-finetune, api_key: k}
  - model_name: d
    litellm_params: {model: openai/my-finetune, api_key: k}
    model_info: {input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}
  - model_name: e
    litellm_params: {model: openai/gpt-4o, api_key: k}
    model_info: {output_cost_per_token: 0.00002}
  - model_name: f
    litellm_params: {model: openai/my-finetune, api_key: k}
    model_info: {input_cost_per_token: 0.000001}
)";

TEST(Prices, DeploymentsArePricedFromModelInfoOverTheList) {
  auto cfg = LoadFromString(kModels, "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const auto& m = cfg->model_list;
  ASSERT_TRUE(m[0].price);
  EXPECT_EQ(m[0].price->input, 150'000);
  EXPECT_EQ(m[0].price_name, "gpt-4o-mini");
  ASSERT_TRUE(m[1].price);
  EXPECT_EQ(m[1].price->output, 15'000'000);
  EXPECT_EQ(m[1].price_name, "claude-sonnet-4");
  EXPECT_FALSE(m[2].price);  // unknown: unpriced, not free
  ASSERT_TRUE(m[3].price);
  EXPECT_EQ(*m[3].price, (TokenPrice{1'000'000, 2'000'000, 1'000'000}));
  ASSERT_TRUE(m[4].price);  // output overridden, input and cached from the list
  EXPECT_EQ(*m[4].price, (TokenPrice{2'500'000, 20'000'000, 1'250'000}));
  EXPECT_EQ(m[4].price_name, "model_info");
  EXPECT_FALSE(m[5].price);  // half a price and no list entry
  EXPECT_EQ(cfg->prices_taken, BuiltInPrices().taken);
}

TEST(Prices, LedgerPricesReplacesTheList) {
  std::string path = ::testing::TempDir() + "/prices_test.yaml";
  std::ofstream(path) << "taken: \"2026-01-01\"\nmodels:\n  my-finetune: {input: 4, output: 8}\n";
  auto cfg = LoadFromString(std::string(kModels) + "ledger: {prices: " + path + "}\n", "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->model_list[0].price);  // gpt-4o-mini is not in this list
  ASSERT_TRUE(cfg->model_list[2].price);
  EXPECT_EQ(cfg->model_list[2].price->input, 4'000'000);
  EXPECT_EQ(cfg->prices_taken, "2026-01-01");
  std::ofstream(path) << "models: {x: {input: nope, output: 1}}\n";
  auto bad = LoadFromString(std::string(kModels) + "ledger: {prices: " + path + "}\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("models.x.input"), std::string::npos);
}

}  // namespace
}  // namespace edge::config
