// One test per rule: each bad value is reported at its own line and key path.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "config/config.h"

namespace edge::config {
namespace {

using ::testing::HasSubstr;

constexpr char kSource[] = EDGE_SOURCE_DIR;

// A valid model_list on lines 1-3, so sections appended start on line 4.
const std::string kModels = R"(model_list:
  - model_name: m
    litellm_params: {model: openai/gpt-4o, api_key: k}
)";

struct Expected {
  int line;
  std::string path;
  std::string message_part;
};

// Loads yaml and expects exactly one error.
void ExpectError(const std::string& yaml, const Expected& want) {
  std::vector<ConfigError> errors;
  auto cfg = LoadFromString(yaml, "v.yaml", &errors);
  EXPECT_FALSE(cfg.ok());
  ASSERT_EQ(errors.size(), 1u) << cfg.status().message();
  EXPECT_EQ(errors[0].line, want.line) << errors[0].ToString();
  EXPECT_EQ(errors[0].key_path, want.path) << errors[0].ToString();
  EXPECT_THAT(errors[0].message, HasSubstr(want.message_part));
}

void ExpectOk(const std::string& yaml) {
  auto cfg = LoadFromString(yaml, "v.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
}

// One deployment with the given litellm_params flow-map body on line 3.
std::string Deployment(const std::string& params, const std::string& info = "") {
  std::string out = "model_list:\n  - model_name: m\n    litellm_params: {" + params + "}\n";
  if (!info.empty()) out += "    model_info: {" + info + "}\n";
  return out;
}

TEST(Validation, UnknownKeysInStrictSections) {
  ExpectError(kModels + std::string("node:\n  id: a\n  listn: 1\n"),
              {6, "node.listn", "unknown key"});
  ExpectError(kModels + std::string("keys:\n  - id: a\n    key_sha256: ") + std::string(64, 'a') +
                  "\n    teem: x\n",
              {7, "keys.0.teem", "unknown key"});
  ExpectError(kModels + std::string("admin: {key: x}\n"), {4, "admin.key", "unknown key"});
  ExpectError(kModels + std::string("router_settings:\n  num_retrys: 3\n"),
              {5, "router_settings.num_retrys", "unknown key"});
  ExpectError(kModels + std::string("node:\n  tls: {ca: c}\n"), {5, "node.tls.ca", "unknown key"});
  ExpectError(kModels + std::string("ledger: {on_eror: serve}\n"),
              {4, "ledger.on_eror", "unknown key"});
}

TEST(Validation, AccessLogDestination) {
  ExpectOk(kModels + std::string("log: {access: stderr}\n"));
  ExpectOk(kModels + std::string("log: {access: \"off\"}\n"));
  ExpectOk(kModels + std::string("log: {access: off}\n"));  // YAML 1.1 would read a bool
  ExpectOk(kModels + std::string("log: {access: access.log}\n"));  // the working directory
  ExpectOk(kModels + std::string("log: {access: /tmp/llm-edge-access.log}\n"));
  ExpectError(kModels + std::string("log: {access: \"\"}\n"),
              {4, "log.access", "must be stderr, off, or the path of a file"});
  ExpectError(kModels + std::string("log: {access: /no/such/dir/access.log}\n"),
              {4, "log.access", "the directory /no/such/dir does not exist"});
  ExpectError(kModels + std::string("log: {acess: stderr}\n"), {4, "log.acess", "unknown key"});
}

TEST(Validation, LiteLlmExtrasAreIgnored) {
  ExpectOk(kModels + std::string("litellm_settings: {drop_params: true}\n"
                                 "general_settings: {master_key: x}\nenvironment_variables: {}\n"));
  ExpectOk(Deployment("model: m, drop_params: true, max_retries: 3", "mode: chat, base_model: x"));
  ExpectOk(kModels + std::string("router_settings: {redis_host: h, redis_port: 6379}\n"));
}

TEST(Validation, NodeValues) {
  ExpectError(kModels + std::string("node: {workers: two}\n"),
              {4, "node.workers", "must be an integer, not 'two'"});
  ExpectError(kModels + std::string("node: {max_body_bytes: 0}\n"),
              {4, "node.max_body_bytes", "must be > 0"});
  ExpectError(kModels + std::string("node: {header_timeout_ms: 5000000000}\n"),
              {4, "node.header_timeout_ms", "must be <= 4294967295"});
  ExpectError(kModels + std::string("node: {listen: \"127.0.0.1:70000\"}\n"),
              {4, "node.listen", "the port must be a number from 0 to 65535"});
  ExpectError(kModels + std::string("node: {listen: \"::1:80\"}\n"),
              {4, "node.listen", "brackets"});
  ExpectError(kModels + std::string("node: {admin_listen: \"300.1.1.1:80\"}\n"),
              {4, "node.admin_listen", "not a valid IPv4 address or host name"});
  ExpectError(kModels + std::string("node: {id: \"a b\"}\n"),
              {4, "node.id", "1-64 characters of [A-Za-z0-9._:-]"});
  ExpectError(kModels + std::string("node: {listen: \"127.0.0.1:9000\", admin_listen: "
                                    "\"127.0.0.1:9000\"}\n"),
              {4, "node.admin_listen", "must differ from node.listen"});
  ExpectError(kModels + std::string("node: [a]\n"), {4, "node", "must be a mapping"});
  ExpectOk(kModels + std::string("node: {listen: \"[::1]:0\", admin_listen: \"localhost:0\"}\n"));
  ExpectOk(kModels + std::string("node: {listen: \"0.0.0.0:8080\", workers: 4}\n"));
}

TEST(Validation, TlsFiles) {
  std::string existing = std::string(kSource) + "/config/jurisdictions.yaml";
  ExpectError(kModels + std::string("node:\n  tls: {cert: ") + existing + "}\n",
              {5, "node.tls.key", "is required when cert is set"});
  ExpectError(kModels +
                  std::string("node:\n  admin_tls:\n    cert: /nonexistent.pem\n"
                              "    key: ") +
                  existing + "\n",
              {6, "node.admin_tls.cert", "file not found: /nonexistent.pem"});
  auto cfg = LoadFromString(
      kModels + std::string("node:\n  tls: {cert: ") + existing + ", key: " + existing + "}\n",
      "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->node.tls.enabled());
  EXPECT_FALSE(cfg->node.admin_tls.enabled());
}

TEST(Validation, FederationTlsIsMutualAndThresholdsOrdered) {
  const std::string existing = std::string(kSource) + "/config/jurisdictions.yaml";
  const std::string fed = "federation:\n  listen: \"127.0.0.1:0\"\n  key: k\n";
  ExpectError(kModels + fed + "  tls: {cert: " + existing + ", key: " + existing + "}\n",
              {7, "federation.tls.ca", "is required: the gossip's TLS is mutual"});
  ExpectError(kModels + fed + "  tls: {key: " + existing + ", ca: " + existing + "}\n",
              {7, "federation.tls.cert", "is required"});
  ExpectError(kModels + fed + "  tls: {cert: " + existing + ", key: " + existing +
                  ", ca: /nonexistent-ca.pem}\n",
              {7, "federation.tls.ca", "file not found: /nonexistent-ca.pem"});
  ExpectError(kModels + fed + "  tls: {verify: false}\n", {7, "federation.tls.verify", "unknown key"});
  ExpectError(kModels + fed + "  phi_suspect: 8\n  phi_dead: 6\n",
              {8, "federation.phi_dead", "must be greater than phi_suspect"});
  ExpectError(kModels + fed + "  phi_suspect: 0\n", {7, "federation.phi_suspect", ""});
  ExpectError(kModels + fed + "  interval_ms: 0\n", {7, "federation.interval_ms", ""});
  auto cfg = LoadFromString(kModels + fed + "  phi_suspect: 2\n  phi_dead: 4.5\n" +
                                "  tls: {cert: " + existing + ", key: " + existing +
                                ", ca: " + existing + "}\n",
                            "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->federation.tls.enabled());
  EXPECT_EQ(cfg->federation.tls.ca, existing);
  EXPECT_EQ(cfg->federation.phi_suspect, 2);
  EXPECT_EQ(cfg->federation.phi_dead, 4.5);
  cfg = LoadFromString(kModels + fed, "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->federation.tls.enabled());
  EXPECT_EQ(cfg->federation.phi_suspect, 5);
  EXPECT_EQ(cfg->federation.phi_dead, 12);
}

TEST(Validation, ModelStrings) {
  ExpectError(Deployment("model: vertex_ai/gemini-pro"),
              {3, "model_list.0.litellm_params.model", "unknown provider 'vertex_ai'"});
  ExpectError(Deployment("model: openai/"),
              {3, "model_list.0.litellm_params.model", "names no model"});
  ExpectError(Deployment("api_key: k"), {3, "model_list.0.litellm_params.model", "is required"});
  ExpectError("model_list:\n  - litellm_params: {model: m}\n",
              {2, "model_list.0.model_name", "is required"});
  ExpectError("model_list:\n  - model_name: m\n",
              {2, "model_list.0.litellm_params", "is required"});
  ExpectError("model_list: []\n", {1, "model_list", "at least one deployment"});
  ExpectError("node: {}\n", {1, "model_list", "is required"});

  auto cfg = LoadFromString(Deployment("model: hosted_vllm/meta-llama/Llama-3-8B, "
                                       "api_base: \"http://10.0.0.2:8000/v1/\""),
                            "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].provider, "openai");
  EXPECT_EQ(cfg->model_list[0].upstream_model, "meta-llama/Llama-3-8B");
  EXPECT_EQ(cfg->model_list[0].api_base, "http://10.0.0.2:8000/v1");

  cfg = LoadFromString(Deployment("model: bedrock/converse/global.anthropic.claude, "
                                  "aws_region_name: eu-west-1, aws_access_key_id: a, "
                                  "aws_secret_access_key: b"),
                       "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].upstream_model, "global.anthropic.claude");
  EXPECT_EQ(cfg->model_list[0].jurisdiction, "");  // a global profile may run anywhere
}

TEST(Validation, ProviderRequirements) {
  ExpectError(Deployment("model: bedrock/anthropic.claude-v2"),
              {3, "model_list.0.litellm_params.aws_region_name", "is required for bedrock"});
  ExpectError(Deployment("model: bedrock/x, aws_region_name: \"eu central\""),
              {3, "model_list.0.litellm_params.aws_region_name", "must be an AWS region"});
  ExpectError(Deployment("model: bedrock/x, aws_region_name: eu-west-1, aws_access_key_id: a"),
              {3, "model_list.0.litellm_params.aws_secret_access_key", "is required with"});
  ExpectError(Deployment("model: azure/deploy"),
              {3, "model_list.0.litellm_params.api_base", "is required for azure"});
  ExpectError(Deployment("model: vllm/x"),
              {3, "model_list.0.litellm_params.api_base", "is required for vllm"});
  ExpectOk(
      Deployment("model: azure/deploy, api_base: https://r.openai.azure.com, "
                 "api_version: 2025-01-01-preview"));
}

TEST(Validation, ApiBase) {
  const std::string path = "model_list.0.litellm_params.api_base";
  ExpectError(Deployment("model: m, api_base: ftp://x"), {3, path, "http:// or https://"});
  ExpectError(Deployment("model: m, api_base: \"https://\""), {3, path, "no host"});
  ExpectError(Deployment("model: m, api_base: \"http://h:99999/v1\""), {3, path, "port"});
  ExpectError(Deployment("model: m, api_base: \"http://u:p@h/v1\""), {3, path, "credentials"});
  ExpectError(Deployment("model: m, api_base: \"http://h/v1?x=1\""), {3, path, "query"});
  ExpectOk(Deployment("model: m, api_base: \"http://[::1]:9901/v1\""));
  ExpectOk(Deployment("model: m, api_base: \"HTTPS://api.example.com\""));
}

TEST(Validation, SslVerify) {
  const std::string path = "model_list.0.litellm_params.ssl_verify";
  ExpectError(Deployment("model: m, ssl_verify: /nonexistent/ca.pem"),
              {3, path, "file not found: /nonexistent/ca.pem"});
  ExpectError(Deployment("model: m, ssl_verify: [a]"), {3, path, "must be true, false or"});
  std::string ca = std::string(kSource) + "/config/jurisdictions.yaml";
  auto cfg = LoadFromString(Deployment("model: m, ssl_verify: " + ca), "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->model_list[0].ssl_verify.verify);
  EXPECT_EQ(cfg->model_list[0].ssl_verify.ca_file, ca);
  cfg = LoadFromString(Deployment("model: m"), "v.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->model_list[0].ssl_verify.verify);
  EXPECT_EQ(cfg->model_list[0].ssl_verify.ca_file, "");
}

TEST(Validation, DeploymentNumbersAndIds) {
  ExpectError(Deployment("model: m, timeout: -1"),
              {3, "model_list.0.litellm_params.timeout", "must be > 0"});
  ExpectError(Deployment("model: m, stream_timeout: soon"),
              {3, "model_list.0.litellm_params.stream_timeout", "must be a number"});
  ExpectError(Deployment("model: m, rpm: 1.5"),
              {3, "model_list.0.litellm_params.rpm", "must be an integer"});
  ExpectError(Deployment("model: m", "input_cost_per_token: -0.1"),
              {4, "model_list.0.model_info.input_cost_per_token", "must be >= 0"});
  ExpectError(Deployment("model: m", "supports_vision: maybe"),
              {4, "model_list.0.model_info.supports_vision", "must be true or false"});
  ExpectError(R"(model_list:
  - model_name: a
    litellm_params: {model: m}
    model_info: {id: same}
  - model_name: b
    litellm_params: {model: m}
    model_info: {id: same}
)",
              {7, "model_list.1.model_info.id", "duplicate id 'same' (also model_list.0)"});
  // The same deployment twice (model_name, model and api_base equal) derives the same id:
  // reported on the second entry, asking for a model_info.id.
  ExpectError(R"(model_list:
  - model_name: a
    litellm_params: {model: m}
  - model_name: a
    litellm_params: {model: m, api_key: other}
)",
              {4, "model_list.1.model_info.id", "give each a model_info.id"});
}

TEST(Validation, Keys) {
  const std::string hash(64, 'a');
  ExpectError(kModels + std::string("keys:\n  - key_sha256: ") + hash + "\n",
              {5, "keys.0.id", "is required"});
  ExpectError(
      kModels + std::string("keys:\n  - {id: a, key_sha256: ") + std::string(64, 'A') + "}\n",
      {5, "keys.0.key_sha256", "64 lowercase hex"});
  ExpectError(kModels + "keys:\n  - {id: a, key_sha256: " + hash +
                  "}\n  - {id: a, key_sha256: " + std::string(64, 'b') + "}\n",
              {6, "keys.1.id", "duplicate id 'a'"});
  ExpectError(kModels + "keys:\n  - {id: a, key_sha256: " + hash +
                  "}\n  - {id: b, key_sha256: " + hash + "}\n",
              {6, "keys.1.key_sha256", "duplicate key_sha256 (also keys.0)"});
  ExpectError(kModels + "keys:\n  - id: a\n    key_sha256: " + hash + "\n    models: [m, x]\n",
              {7, "keys.0.models.1", "unknown model_name 'x'"});
  ExpectError(kModels + "keys:\n  - {id: a, key_sha256: " + hash + ", team: \"a/b\"}\n",
              {5, "keys.0.team", "1-64 characters of [A-Za-z0-9._:-]"});
  ExpectError(
      kModels + "keys:\n  - {id: a, key_sha256: " + hash + ", env: " + std::string(65, 'x') + "}\n",
      {5, "keys.0.env", "1-64 characters"});
  ExpectError(kModels + "keys:\n  - {id: a, key_sha256: " + hash + ", residency: UE}\n",
              {5, "keys.0.residency", "unknown jurisdiction 'UE' (jurisdictions: EU)"});
  ExpectError(kModels + "keys:\n  - {id: a, key_sha256: " + hash + ", rpm: 0}\n",
              {5, "keys.0.rpm", "must be > 0"});
  ExpectOk(kModels + "keys:\n  - {id: a, key_sha256: " + hash +
           ", team: search.v2, feature: \"chat:summarize\", env: prod-eu_1}\n");
}

TEST(Validation, Admin) {
  ExpectError(kModels + std::string("admin: {key_sha256: xyz}\n"),
              {4, "admin.key_sha256", "64 lowercase hex"});
  ExpectError(kModels + std::string("admin: 5\n"), {4, "admin", "must be a mapping"});
}

TEST(Validation, RouterSettings) {
  ExpectError(kModels + std::string("router_settings: {routing_strategy: fastest}\n"),
              {4, "router_settings.routing_strategy", "must be one of: simple-shuffle, "});
  ExpectError(kModels + std::string("router_settings:\n  fallbacks: [{m: [nope]}]\n"),
              {5, "router_settings.fallbacks.0.m.0", "unknown model_name 'nope'"});
  ExpectError(kModels + std::string("router_settings:\n  fallbacks: [{x: [m]}]\n"),
              {5, "router_settings.fallbacks.0.x", "unknown model_name 'x'"});
  ExpectError(kModels + std::string("router_settings:\n  fallbacks: {m: [m]}\n"),
              {5, "router_settings.fallbacks", "must be a list like"});
  ExpectError(kModels + std::string("router_settings:\n  retry_budget: {ratio: -1}\n"),
              {5, "router_settings.retry_budget.ratio", "must be >= 0"});
  ExpectError(kModels + std::string("router_settings:\n  routing_strategy_args: {buffer: 1}\n"),
              {5, "router_settings.routing_strategy_args.buffer", "unknown key"});
  ExpectError(kModels + std::string("router_settings:\n  num_retries: -2\n"),
              {5, "router_settings.num_retries", "must be >= 0"});
}

TEST(Validation, OwnSections) {
  ExpectError(kModels + std::string("audit: {caller_ip: partial}\n"),
              {4, "audit.caller_ip", "must be one of: full, truncate, hash"});
  ExpectError(kModels + std::string("audit: {digest_every: 0}\n"),
              {4, "audit.digest_every", "must be > 0"});
  ExpectError(kModels + std::string("audit: {digest_every_s: -5}\n"),
              {4, "audit.digest_every_s", "must be > 0"});
  ExpectError(kModels + std::string("audit: {digest_every_minutes: 1}\n"),
              {4, "audit.digest_every_minutes", "unknown key"});
  ExpectError(kModels + std::string("ledger: {on_error: ignore}\n"),
              {4, "ledger.on_error", "must be one of: serve, refuse"});
  ExpectError(kModels + std::string("responses: {store: sometimes}\n"),
              {4, "responses.store", "must be true or false"});
  ExpectError(kModels + std::string("geo: {trusted_proxies: [\"10.0.0.0/33\"]}\n"),
              {4, "geo.trusted_proxies.0", "prefix length"});
  ExpectError(kModels + std::string("geo: {unknown_caller: mars}\n"),
              {4, "geo.unknown_caller", "unknown jurisdiction 'mars'"});
  // "unknown" is not a rule (a caller is placed somewhere or refused): node, deny or a name.
  ExpectError(kModels + std::string("geo: {unknown_caller: unknown}\n"),
              {4, "geo.unknown_caller", "unknown jurisdiction 'unknown'"});
  ExpectOk(kModels + std::string("geo: {unknown_caller: deny}\n"));
  ExpectOk(kModels + std::string("geo: {unknown_caller: EU, trusted_proxies: [\"::ffff:10.0.0.0/104\"]}\n"));
  // geo/'s own rule (common/ip_address.h), at the value's line: an IPv4-mapped network is an
  // IPv4 network, so its prefix cannot be below 96 (a plain IPv6 syntax check accepted it).
  ExpectError(kModels + std::string("geo:\n  trusted_proxies:\n    - 10.0.0.0/8\n"
                                    "    - \"::ffff:10.0.0.0/64\"\n"),
              {7, "geo.trusted_proxies.1", "IPv4-mapped network needs a prefix of at least 96"});
  ExpectError(kModels + std::string("geo: {trusted_proxies: [\"10.0.0.1/8/8\"]}\n"),
              {4, "geo.trusted_proxies.0", "prefix length must be a number"});
  ExpectError(kModels + std::string("geo: {trusted_proxies: [\"010.0.0.1\"]}\n"),
              {4, "geo.trusted_proxies.0", "not an IP address or CIDR network"});
  ExpectError(kModels + std::string("geo: {database: /nonexistent.mmdb}\n"),
              {4, "geo.database", "file not found"});
  ExpectError(kModels + std::string("jurisdictions:\n  EU: {countries: [DE, de]}\n"),
              {5, "jurisdictions.EU.countries.1", "two-letter ISO 3166"});
  ExpectError(kModels + std::string("jurisdictions:\n  EU: {countries: [DE]}\n"
                                    "  X: {countries: [DE]}\n"),
              {6, "jurisdictions.X.countries.0", "already in jurisdiction EU"});
  ExpectError(kModels + std::string("federation: {listen: \"0.0.0.0:7946\"}\n"),
              {4, "federation.key", "is required when listen is set"});
  ExpectError(kModels + std::string("federation: {listen: \"0.0.0.0:7946\", key: k, "
                                    "peers: [\"10.0.0.1\"]}\n"),
              {4, "federation.peers.0", "host:port"});
  ExpectError(kModels + std::string("teams: [{name: a}, {name: a}]\n"),
              {4, "teams.1.name", "duplicate team 'a'"});
  ExpectError(kModels + std::string("teams: [{budget_usd_monthly: 5}]\n"),
              {4, "teams.0.name", "is required"});
}

TEST(Validation, YamlStructure) {
  ExpectError(kModels + std::string("node:\n  id: a\n  id: b\n"), {6, "", "duplicate key 'id'"});
  ExpectError("- a\n- b\n", {1, "", "must be a mapping of sections"});
  ExpectError(kModels + std::string("---\nnode: {}\n"), {4, "", "only one YAML document"});
  // yaml-cpp 0.7 loops for ever on a stray top-level comma unless the parse is bounded.
  ExpectError(",k", {1, "", "YAML syntax error"});
  ExpectError(kModels + std::string(",\n"), {4, "", "YAML syntax error"});
  ExpectError(kModels + std::string("a: &x [*x]\n"), {4, "", "alias that contains itself"});
  // A quoted number is still a number; a quoted word is not a bool.
  ExpectOk(kModels + std::string("node: {workers: \"2\"}\n"));
}

TEST(Validation, HostileYaml) {
  std::vector<ConfigError> errors;
  // Exponential aliases ("billion laughs") are refused, not expanded.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += (j ? ", " : "") + prev;
    laughs += "]\n";
  }
  EXPECT_FALSE(LoadFromString(laughs, "v.yaml", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("document too large"));

  errors.clear();
  EXPECT_FALSE(LoadFromString(std::string(100000, '['), "v.yaml", &errors).ok());
  EXPECT_EQ(errors.size(), 1u);

  ExpectError(kModels + std::string("node: {<<: 5}\n"), {4, "", "merge key"});
  ExpectError(kModels + std::string("? [a]\n: b\n"), {4, "", "mapping keys must be plain"});
  ExpectError(kModels + std::string("node: {workers: 99999999999999999999999}\n"),
              {4, "node.workers", "must be <= 2147483647"});
  ExpectError(kModels + std::string("node: {workers: .inf}\n"),
              {4, "node.workers", "must be an integer"});
  ExpectError(kModels + std::string("router_settings: {timeout: .nan}\n"),
              {4, "router_settings.timeout", "must be a number"});
  ExpectError(std::string("\xff\xfe: x\n") + kModels, {1, "", ""});
}

TEST(Validation, MergeKeys) {
  auto cfg = LoadFromString(R"(model_list:
  - model_name: a
    litellm_params: &common
      model: openai/gpt-4o
      api_base: http://127.0.0.1:1/v1
      api_key: shared
  - model_name: b
    litellm_params:
      <<: *common
      api_key: own
)",
                            "merge.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[1].api_base, "http://127.0.0.1:1/v1");
  EXPECT_EQ(cfg->model_list[1].api_key, "own");
  EXPECT_EQ(cfg->model_list[1].upstream_model, "gpt-4o");
}

TEST(Validation, ProviderKeyFromEnvironmentWhenAbsent) {
  setenv("ANTHROPIC_API_KEY", "sk-ant-env", 1);
  auto cfg = LoadFromString(Deployment("model: anthropic/claude"), "v.yaml");
  unsetenv("ANTHROPIC_API_KEY");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].api_key, "sk-ant-env");
  cfg = LoadFromString(Deployment("model: anthropic/claude"), "v.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->model_list[0].api_key, "");
}

}  // namespace
}  // namespace edge::config
