// Loading whole files: a LiteLLM-style config, the demo region, the message format, env
// references, error collection. Per-rule checks are in validation_test.cc.

#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "config/key_hash.h"
#include "config/loader.h"

namespace edge::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSource[] = EDGE_SOURCE_DIR;

// A config as a LiteLLM user would write it, with llm-edge's sections around it.
constexpr char kFullConfig[] = R"(# comment
node: {id: eu-west-a, region: eu-west, jurisdiction: EU, listen: "0.0.0.0:8080",
       admin_listen: "127.0.0.1:8081", data_dir: ./data/eu-west, workers: 0,
       max_body_bytes: 1_048_576, header_timeout_ms: 5000}
geo: {database: "", trusted_proxies: ["127.0.0.1/32", "10.0.0.0/8", "::1"], unknown_caller: node}
jurisdictions:
  EU: {countries: [AT, BE, DE, FR], pinned: true}
  US: {countries: [US]}
federation: {listen: "0.0.0.0:7946", peers: ["10.1.0.5:7946", "[fd00::1]:7946"],
             key: os.environ/CONFIG_TEST_GOSSIP_KEY, interval_ms: 500}
model_list:
  - model_name: generate
    litellm_params: {model: anthropic/claude-sonnet-4-6, api_key: os.environ/CONFIG_TEST_ANTHROPIC}
    model_info: {jurisdiction: US, input_cost_per_token: 0.000003, mode: chat}
  - model_name: generate
    litellm_params: {model: bedrock/eu.anthropic.claude-sonnet-4-6, aws_region_name: eu-central-1,
                     aws_access_key_id: AKIA, aws_secret_access_key: secret}
  - model_name: generate-small
    litellm_params:
      model: azure/gpt-4o-mini-deploy
      api_base: https://my-resource.openai.azure.com/
      api_key: azkey
      drop_params: true          # LiteLLM's; ignored
      rpm: 600
      timeout: 30
    model_info: {id: azure-small, supports_vision: true, max_input_tokens: 128000}
  - model_name: fast
    litellm_params: {model: groq/llama-3.1-8b-instant, api_key: g, weight: 2, order: 1}
  - model_name: gemini
    litellm_params: {model: gemini/gemini-2.0-flash, api_key: gk, ssl_verify: false}
  - model_name: plain
    litellm_params: {model: gpt-4o, api_key: sk, stream_timeout: 5}
router_settings: {routing_strategy: latency-based-routing, num_retries: 2, timeout: 600,
                  allowed_fails: 3, cooldown_time: 30, fallbacks: [{generate: [generate-small]}],
                  routing_strategy_args: {lowest_latency_buffer: 0.5},
                  retry_budget: {ratio: 0.1, min_retries_per_second: 5}, redis_host: localhost}
keys:
  - {id: search-prod, key_sha256: "0ed816e5c3fc2154650b2b401c1e086524743e36e81dda2d9ffe82a8686cf57f",
     team: search, env: prod, residency: EU, models: [generate], budget_usd_monthly: 2000,
     rpm: 600, tpm: 1000000}
  - {id: ops, key_sha256: "806647bb62d32253b6797dad9d71d211d172005a6564317a920e9ba78322a338"}
teams: [{name: search, budget_usd_monthly: 5000, rpm: 1000}]
audit: {caller_ip: truncate, digest_every: 500, digest_every_s: 30}
ledger: {on_error: refuse, retention_days: 400}
responses: {store: true, ttl_s: 3600}
admin: {key_sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
litellm_settings: {drop_params: true, success_callback: [langfuse]}
general_settings: {master_key: sk-1234}
)";

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~EnvVar() { unsetenv(name_); }

 private:
  const char* name_;
};

std::vector<std::string> Strings(const std::vector<ConfigError>& errors) {
  std::vector<std::string> out;
  for (const ConfigError& e : errors) out.push_back(e.ToString());
  return out;
}

TEST(ConfigLoad, FullLiteLlmStyleConfig) {
  EnvVar gossip("CONFIG_TEST_GOSSIP_KEY", "gossip-secret");
  EnvVar anthropic("CONFIG_TEST_ANTHROPIC", "sk-ant");
  std::vector<ConfigError> errors;
  auto cfg = LoadFromString(kFullConfig, "full.yaml", &errors);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(errors.empty());

  EXPECT_EQ(cfg->node.id, "eu-west-a");
  EXPECT_EQ(cfg->node.max_body_bytes, 1048576u);
  EXPECT_EQ(cfg->node.header_timeout_ms, 5000u);
  EXPECT_EQ(cfg->node.idle_timeout_ms, 75000u);  // default kept
  EXPECT_THAT(cfg->geo.trusted_proxies, ElementsAre("127.0.0.1/32", "10.0.0.0/8", "::1"));
  EXPECT_TRUE(cfg->jurisdictions.at("EU").pinned);
  EXPECT_FALSE(cfg->jurisdictions.at("US").pinned);
  EXPECT_EQ(cfg->jurisdiction_by_country.at("DE"), "EU");
  EXPECT_EQ(cfg->federation.key, "gossip-secret");
  EXPECT_EQ(cfg->federation.interval_ms, 500u);

  ASSERT_EQ(cfg->model_list.size(), 6u);
  const Deployment& claude = cfg->model_list[0];
  EXPECT_EQ(claude.provider, "anthropic");
  EXPECT_EQ(claude.upstream_model, "claude-sonnet-4-6");
  EXPECT_EQ(claude.api_base, "https://api.anthropic.com");
  EXPECT_EQ(claude.api_key, "sk-ant");
  EXPECT_EQ(claude.id, "generate/" + Sha256Hex(std::string("generate") + '\0' +
                                              "anthropic/claude-sonnet-4-6" + '\0' +
                                              "https://api.anthropic.com").substr(0, 8));
  EXPECT_EQ(claude.jurisdiction, "US");
  EXPECT_EQ(claude.input_cost_per_token, 0.000003);
  EXPECT_EQ(claude.line, 12);
  const Deployment& bedrock = cfg->model_list[1];
  EXPECT_EQ(bedrock.provider, "bedrock");
  EXPECT_EQ(bedrock.upstream_model, "eu.anthropic.claude-sonnet-4-6");
  EXPECT_EQ(bedrock.api_base, "https://bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_EQ(bedrock.jurisdiction, "EU");  // derived from the region
  const Deployment& azure = cfg->model_list[2];
  EXPECT_EQ(azure.provider, "azure");
  EXPECT_EQ(azure.api_base, "https://my-resource.openai.azure.com");
  EXPECT_EQ(azure.api_version, "2024-10-21");
  EXPECT_EQ(azure.id, "azure-small");
  EXPECT_EQ(azure.rpm, 600u);
  EXPECT_EQ(azure.timeout_s, 30);
  EXPECT_EQ(azure.supports_vision, true);
  EXPECT_EQ(azure.max_input_tokens, 128000u);
  EXPECT_EQ(azure.jurisdiction, "");
  const Deployment& groq = cfg->model_list[3];
  EXPECT_EQ(groq.provider, "openai");
  EXPECT_EQ(groq.upstream_model, "llama-3.1-8b-instant");
  EXPECT_EQ(groq.api_base, "https://api.groq.com/openai/v1");
  EXPECT_EQ(groq.weight, 2);
  EXPECT_EQ(groq.order, 1);
  EXPECT_EQ(cfg->model_list[4].api_base, "https://generativelanguage.googleapis.com");
  EXPECT_FALSE(cfg->model_list[4].ssl_verify.verify);
  const Deployment& plain = cfg->model_list[5];
  EXPECT_EQ(plain.provider, "openai");
  EXPECT_EQ(plain.upstream_model, "gpt-4o");
  EXPECT_EQ(plain.api_base, "https://api.openai.com/v1");
  EXPECT_EQ(plain.timeout_s, 600);  // router_settings.timeout
  EXPECT_EQ(plain.stream_timeout_s, 5);

  EXPECT_EQ(cfg->router.routing_strategy, "latency-based-routing");
  EXPECT_EQ(cfg->router.lowest_latency_buffer, 0.5);
  EXPECT_THAT(cfg->router.fallbacks.at("generate"), ElementsAre("generate-small"));
  EXPECT_EQ(cfg->router.retry_budget.ratio, 0.1);
  EXPECT_THAT(cfg->deployments_by_alias.at("generate"), ElementsAre(0u, 1u));

  ASSERT_EQ(cfg->keys.size(), 2u);
  EXPECT_EQ(cfg->keys[0].team, "search");
  EXPECT_EQ(cfg->keys[0].residency, "EU");
  EXPECT_THAT(cfg->keys[0].models, ElementsAre("generate"));
  EXPECT_EQ(cfg->keys[0].tpm, 1000000u);
  EXPECT_EQ(cfg->key_by_sha256.at(Sha256Hex("sk-edge-demo-key")), 0u);
  EXPECT_EQ(cfg->team_by_name.at("search"), 0u);
  EXPECT_EQ(cfg->audit.caller_ip, "truncate");
  EXPECT_EQ(cfg->audit.digest_every, 500u);
  EXPECT_EQ(cfg->audit.digest_every_s, 30u);
  EXPECT_EQ(cfg->ledger.on_error, "refuse");
  EXPECT_TRUE(cfg->responses.store);
  EXPECT_EQ(cfg->admin.key_sha256, Sha256Hex("abc"));
}

// Ids come from what a deployment is: inserting one in front renames no other.
TEST(ConfigLoad, DeploymentIdsSurviveInsertion) {
  const std::string a = "  - model_name: m\n    litellm_params: {model: openai/a, api_base: http://h:1/v1}\n";
  const std::string b = "  - model_name: m\n    litellm_params: {model: openai/b, api_base: http://h:1/v1}\n";
  const std::string c = "  - model_name: m\n    litellm_params: {model: openai/a, api_base: http://h:2/v1}\n";
  auto before = LoadFromString("model_list:\n" + a + b, "x.yaml");
  auto after = LoadFromString("model_list:\n" + c + a + b, "x.yaml");
  ASSERT_TRUE(before.ok()) << before.status().message();
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(before->model_list[0].id, after->model_list[1].id);
  EXPECT_EQ(before->model_list[1].id, after->model_list[2].id);
  EXPECT_NE(after->model_list[0].id, after->model_list[1].id);  // api_base tells them apart
  EXPECT_NE(after->model_list[1].id, after->model_list[2].id);  // model too
  EXPECT_TRUE(after->model_list[0].id.starts_with("m/"));
  EXPECT_EQ(after->model_list[0].id.size(), 2u + 8u);
}

TEST(ConfigLoad, DefaultsWhenSectionsAreAbsent) {
  auto cfg = LoadFromString("model_list:\n  - model_name: m\n    litellm_params: {model: m}\n",
                            "min.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->node.listen, "127.0.0.1:8080");
  EXPECT_EQ(cfg->router.routing_strategy, "latency-based-routing");  // DESIGN.md's default
  EXPECT_EQ(cfg->jurisdictions.at("EU").countries.size(), 27u);
  EXPECT_EQ(cfg->jurisdiction_by_country.at("GR"), "EU");
  EXPECT_FALSE(cfg->federation.enabled());
  EXPECT_TRUE(cfg->keys.empty());
  EXPECT_EQ(cfg->path, "min.yaml");
}

TEST(ConfigLoad, ErrorFormat) {
  EXPECT_EQ((ConfigError{"a.yaml", 3, "model_list.2.litellm_params.model", "bad"}).ToString(),
            "a.yaml:3: model_list.2.litellm_params.model: bad");
  EXPECT_EQ((ConfigError{"a.yaml", 7, "", "YAML syntax error: x"}).ToString(),
            "a.yaml:7: YAML syntax error: x");
  EXPECT_EQ((ConfigError{"a.yaml", 0, "", "cannot read"}).ToString(), "a.yaml: cannot read");
}

TEST(ConfigLoad, EnvironmentReferences) {
  const char* yaml = R"(model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/CONFIG_TEST_KEY
      api_base: os.environ/CONFIG_TEST_BASE
)";
  {
    EnvVar key("CONFIG_TEST_KEY", "sk-from-env");
    EnvVar base("CONFIG_TEST_BASE", "http://127.0.0.1:9/v1");
    auto cfg = LoadFromString(yaml, "env.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    EXPECT_EQ(cfg->model_list[0].api_key, "sk-from-env");
    EXPECT_EQ(cfg->model_list[0].api_base, "http://127.0.0.1:9/v1");
  }
  unsetenv("CONFIG_TEST_KEY");
  unsetenv("CONFIG_TEST_BASE");
  std::vector<ConfigError> errors;
  auto cfg = LoadFromString(yaml, "env.yaml", &errors);
  EXPECT_FALSE(cfg.ok());
  EXPECT_THAT(Strings(errors),
              ElementsAre("env.yaml:5: model_list.0.litellm_params.api_key: environment "
                          "variable CONFIG_TEST_KEY is not set",
                          "env.yaml:6: model_list.0.litellm_params.api_base: environment "
                          "variable CONFIG_TEST_BASE is not set"));
  EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(), Strings(errors)[0] + "\n" + Strings(errors)[1]);
}

TEST(ConfigLoad, EnvironmentReferenceInNumbers) {
  EnvVar rpm("CONFIG_TEST_RPM", "120");
  auto cfg = LoadFromString(
      "model_list:\n  - model_name: m\n    litellm_params: {model: m, rpm: "
      "os.environ/CONFIG_TEST_RPM}\n",
      "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].rpm, 120u);
}

TEST(ConfigLoad, CollectsEveryErrorInLineOrder) {
  const char* yaml = R"(node:
  listen: "nohost"
  workers: -1
  wrkers: 2
model_list:
  - model_name: a
    litellm_params: {model: foo/bar}
  - model_name: b
    litellm_params: {model: openai/x, timeout: 0}
keys:
  - {id: k, key_sha256: ABC, models: [nope]}
admin: {key_sha256: short}
)";
  std::vector<ConfigError> errors;
  EXPECT_FALSE(LoadFromString(yaml, "multi.yaml", &errors).ok());
  std::vector<std::string> got = Strings(errors);
  ASSERT_EQ(got.size(), 8u) << ::testing::PrintToString(got);
  EXPECT_THAT(got[0], HasSubstr("multi.yaml:2: node.listen: must be \"host:port\""));
  EXPECT_EQ(got[1], "multi.yaml:3: node.workers: must be >= 0");
  EXPECT_EQ(got[2], "multi.yaml:4: node.wrkers: unknown key");
  EXPECT_THAT(got[3], HasSubstr("multi.yaml:7: model_list.0.litellm_params.model: unknown "
                                "provider 'foo'"));
  EXPECT_EQ(got[4], "multi.yaml:9: model_list.1.litellm_params.timeout: must be > 0");
  EXPECT_THAT(got[5], HasSubstr("multi.yaml:11: keys.0.key_sha256: must be 64 lowercase hex"));
  EXPECT_EQ(got[6],
            "multi.yaml:11: keys.0.models.0: unknown model_name 'nope' (not in model_list)");
  EXPECT_THAT(got[7], HasSubstr("multi.yaml:12: admin.key_sha256: must be 64 lowercase hex"));
}

TEST(ConfigLoad, YamlSyntaxErrorHasItsLine) {
  const char* yaml = "node:\n  id: a\n  listen: [unclosed\nmodel_list: []\n";
  std::vector<ConfigError> errors;
  EXPECT_FALSE(LoadFromString(yaml, "bad.yaml", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].key_path, "");
  EXPECT_THAT(errors[0].ToString(), HasSubstr("bad.yaml:4: YAML syntax error"));

  errors.clear();
  EXPECT_FALSE(LoadFromString("a: 1\n\tb: 2\n", "tab.yaml", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
}

TEST(ConfigLoad, AppendsToExistingErrors) {
  std::vector<ConfigError> errors = {ConfigError{"other", 1, "", "earlier"}};
  EXPECT_FALSE(LoadFromString("node: 3\n", "x.yaml", &errors).ok());
  ASSERT_GE(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "earlier");
}

TEST(ConfigLoad, MissingFile) {
  std::vector<ConfigError> errors;
  auto cfg = Load("/nonexistent/llm-edge.yaml", &errors);
  EXPECT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), Code::kNotFound);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "/nonexistent/llm-edge.yaml: cannot read: No such file or directory");
}

TEST(ConfigLoad, DemoRegionLoadsCleanly) {
  std::string path = std::string(kSource) + "/config/regions/demo.yaml";
  std::vector<ConfigError> errors;
  auto cfg = Load(path, &errors);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->node.id, "demo-1");
  EXPECT_EQ(cfg->node.region, "eu-west");  // the eu-west member of the demo cluster
  EXPECT_EQ(cfg->node.jurisdiction, "EU");
  EXPECT_EQ(cfg->node.listen, "127.0.0.1:8080");
  EXPECT_EQ(cfg->node.admin_listen, "127.0.0.1:8081");
  EXPECT_EQ(cfg->node.data_dir, "./data/demo");
  EXPECT_EQ(cfg->node.workers, 0);
  const Deployment& chat = cfg->model_list.at(cfg->deployments_by_alias.at("gpt-4o-mini")[0]);
  EXPECT_EQ(chat.provider, "openai");
  EXPECT_EQ(chat.upstream_model, "gpt-4o-mini");
  EXPECT_EQ(chat.api_base, "http://127.0.0.1:9901/v1");
  EXPECT_EQ(chat.api_key, "sk-fake");
  ASSERT_EQ(cfg->deployments_by_alias.count("text-embedding-3-small"), 1u);
  const VirtualKey& key = cfg->keys.at(cfg->key_by_sha256.at(Sha256Hex("sk-edge-demo-key")));
  EXPECT_EQ(key.id, "demo");
  EXPECT_EQ(key.team, "demo");
  EXPECT_EQ(key.env, "dev");
  EXPECT_EQ(cfg->admin.key_sha256, Sha256Hex("admin-demo-key"));
}

TEST(ConfigLoad, JurisdictionsFileMatchesBuiltInDefault) {
  std::ifstream in(std::string(kSource) + "/config/jurisdictions.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string model = "model_list:\n  - model_name: m\n    litellm_params: {model: m}\n";
  auto from_file = LoadFromString(text.str() + model, "jurisdictions.yaml");
  auto built_in = LoadFromString(std::string(kDefaultJurisdictionsYaml) + model, "built-in");
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  ASSERT_TRUE(built_in.ok()) << built_in.status().message();
  EXPECT_EQ(from_file->jurisdiction_by_country, built_in->jurisdiction_by_country);
  EXPECT_EQ(from_file->jurisdictions.at("EU").pinned, built_in->jurisdictions.at("EU").pinned);
  EXPECT_EQ(from_file->jurisdiction_by_country.size(), 27u);
}

}  // namespace
}  // namespace edge::config
