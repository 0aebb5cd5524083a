#pragma once

// The node's configuration: what `llm-edge check` validates and `serve` runs on.
// A Config is immutable once loaded; the node shares it between worker threads as
// std::shared_ptr<const Config> and swaps whole snapshots on reload.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace edge::config {

struct TlsFiles {
  std::string cert;  // PEM paths; both empty = plain TCP
  std::string key;
  bool enabled() const { return !cert.empty(); }
};

struct NodeSettings {
  std::string id = "edge-node";
  std::string region = "local";
  std::string jurisdiction;         // e.g. "EU"; may be empty
  std::string listen = "127.0.0.1:8080";        // "host:port"; port 0 = pick one
  std::string admin_listen = "127.0.0.1:8081";
  std::string data_dir = "./data";
  int workers = 0;                  // 0 = one per core
  uint64_t max_body_bytes = 32ull << 20;
  uint32_t max_header_bytes = 64 * 1024;
  uint32_t max_header_fields = 256;
  uint32_t header_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 75000;
  uint32_t write_timeout_ms = 60000;
  uint64_t max_client_buffer_bytes = 1ull << 20;
  uint32_t shutdown_grace_ms = 30000;  // SIGTERM: how long in-flight streams may finish
  TlsFiles tls;
  TlsFiles admin_tls;
};

// ssl_verify: true (system CA bundle), false, or a CA file path.
struct SslVerify {
  bool verify = true;
  std::string ca_file;  // empty = system bundle
};

// One entry of LiteLLM's model_list.
struct Deployment {
  std::string model_name;     // the alias clients send
  std::string model;          // litellm_params.model, e.g. "openai/gpt-4o-mini"
  std::string provider;       // the part before the first '/', "openai" when none
  std::string upstream_model; // the part after it
  std::string api_base;       // e.g. "https://api.openai.com/v1"
  std::string api_key;        // os.environ/NAME already resolved
  std::string api_version;
  std::string aws_region_name;
  std::string aws_access_key_id;
  std::string aws_secret_access_key;
  std::optional<uint32_t> rpm, tpm;
  double weight = 1;
  int order = 0;
  double timeout_s = 600;         // total, non-streaming
  double stream_timeout_s = 0;    // first byte of a stream; 0 = router_settings.stream_timeout
  SslVerify ssl_verify;
  // model_info
  std::string id;                 // model_info.id; default "<model_name>/<index>"
  std::string jurisdiction;
  std::optional<double> input_cost_per_token, output_cost_per_token;
  int line = 0;                   // where the entry starts in the file, for messages
};

struct RouterSettings {
  std::string routing_strategy = "simple-shuffle";
  int num_retries = 2;
  double timeout_s = 600;
  double stream_timeout_s = 0;
  int allowed_fails = 3;
  double cooldown_time_s = 30;
};

struct VirtualKey {
  std::string id;
  std::string key_sha256;  // 64 lowercase hex
  std::string team, feature, env, residency;
  std::vector<std::string> models;  // empty = every model
  std::optional<double> budget_usd_monthly;
  std::optional<uint32_t> rpm, tpm;
};

struct Admin {
  std::string key_sha256;
};

struct Config {
  std::string path;  // the file it came from
  NodeSettings node;
  std::vector<Deployment> model_list;
  RouterSettings router;
  std::vector<VirtualKey> keys;
  Admin admin;

  // Lookups built by Load(): alias -> indexes into model_list, sha256 -> index into keys.
  std::map<std::string, std::vector<size_t>, std::less<>> deployments_by_alias;
  std::map<std::string, size_t, std::less<>> key_by_sha256;
};

// One problem found in a config file, printed by `check` as "FILE:LINE: key.path: message".
struct ConfigError {
  std::string file;
  int line = 0;
  std::string key_path;  // dotted, with list indexes: "model_list.2.litellm_params.model"
  std::string message;
  std::string ToString() const;
};

// Reads, resolves os.environ/NAME references and validates FILE. Every problem found is
// appended to *errors (if given); the Config is returned only when there are none.
Result<Config> Load(const std::string& path, std::vector<ConfigError>* errors = nullptr);

// Same, from YAML text; `path` is used in messages only.
Result<Config> LoadFromString(const std::string& yaml, const std::string& path,
                              std::vector<ConfigError>* errors = nullptr);

}  // namespace edge::config
