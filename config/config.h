#pragma once

// The node's configuration: what `llm-edge check` validates and `serve` runs on.
// A Config is immutable once loaded; the node shares it between worker threads as
// std::shared_ptr<const Config> and swaps whole snapshots on reload.
//
// Start here: Load() reads a YAML file (LiteLLM's model_list shape plus llm-edge's own
// sections, see DESIGN.md), resolves `os.environ/NAME` references, fills in defaults and
// validates everything; it returns a Config only when nothing is wrong. Everything below is
// plain data: once Load() succeeded, the node can use the values without re-checking them.
// Relative file paths (tls, ssl_verify, data_dir) are kept as written and are relative to the
// process's working directory, which is also where their existence was checked.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/price.h"
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
  std::string jurisdiction;               // e.g. "EU"; may be empty
  std::string listen = "127.0.0.1:8080";  // "host:port"; port 0 = pick one
  std::string admin_listen = "127.0.0.1:8081";
  std::string data_dir = "./data";
  int workers = 0;  // 0 = one per core
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

// How callers are placed in a jurisdiction (geo/ consumes this).
struct GeoSettings {
  std::string database;                      // .mmdb path; "" = the built-in default
  std::vector<std::string> trusted_proxies;  // CIDRs ("10.0.0.0/8", "::1/128"); bare IP = host
  // A caller that cannot be placed (no country in the database, or an unreadable forwarding
  // header from a trusted proxy): "node" (the node's jurisdiction), "deny" (403), or the name
  // of a jurisdiction.
  std::string unknown_caller = "node";
};

struct Jurisdiction {
  std::vector<std::string> countries;  // ISO 3166-1 alpha-2, upper case, e.g. "DE"
  bool pinned = false;                 // pinned traffic never leaves the jurisdiction
};

struct RetryBudget {
  double ratio = 0.2;                  // retries may add at most this fraction of requests...
  double min_retries_per_second = 10;  // ...but this many per second are always allowed
};

// Mutual TLS of the gossip port: every node presents `cert` (with `key`) and accepts only
// peers whose certificate chains to `ca`. All three or none.
struct MutualTlsFiles {
  std::string cert, key, ca;  // PEM paths
  bool enabled() const { return !cert.empty(); }
};

struct FederationSettings {
  std::string listen;                // "host:port", one TCP port; empty = no federation
  std::string advertise;             // "host:port" peers should use; empty = listen
  std::vector<std::string> peers;    // "host:port" seeds; names are re-resolved
  std::string key;                   // shared gossip key (os.environ/ resolved)
  std::vector<std::string> keyring;  // older keys still accepted while rotating
  uint32_t interval_ms = 1000;
  // Phi-accrual thresholds (docs/federation.md): a member is suspect above the first, dead
  // above the second.
  double phi_suspect = 5;
  double phi_dead = 12;
  MutualTlsFiles tls;
  bool enabled() const { return !listen.empty(); }
};

// ssl_verify: true (system CA bundle), false, or a CA file path.
struct SslVerify {
  bool verify = true;
  std::string ca_file;  // empty = system bundle
};

// One entry of LiteLLM's model_list.
struct Deployment {
  std::string model_name;  // the alias clients send
  std::string model;       // litellm_params.model, e.g. "openai/gpt-4o-mini"
  // One of "openai", "azure", "anthropic", "bedrock", "gemini". OpenAI-compatible LiteLLM
  // prefixes (groq/, mistral/, ollama/, hosted_vllm/, ...) are "openai" with their own default
  // api_base. No prefix = "openai".
  std::string provider;
  std::string upstream_model;  // the part after the prefix ("bedrock/converse/" is dropped too)
  std::string api_base;        // http(s) URL without trailing '/'; provider default when absent
  // os.environ/NAME already resolved. When absent, the provider's usual variable
  // (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) is read as LiteLLM does; empty if unset.
  std::string api_key;
  std::string api_version;            // azure: defaults to "2024-10-21"
  std::string aws_region_name;        // bedrock: required; requests are signed for it
  std::string aws_access_key_id;      // bedrock: AWS_ACCESS_KEY_ID when absent
  std::string aws_secret_access_key;  // bedrock: AWS_SECRET_ACCESS_KEY when absent
  std::string aws_session_token;      // bedrock: AWS_SESSION_TOKEN when absent; may be empty
  std::optional<uint32_t> rpm, tpm;
  double weight = 1;            // > 0; simple-shuffle picks in proportion (A/B splits)
  int order = 0;                // >= 0; lower is tried first (LiteLLM's order)
  double timeout_s = 600;       // total, non-streaming; router_settings.timeout when absent
  double stream_timeout_s = 0;  // first byte of a stream; router_settings.stream_timeout
                                // when absent; 0 = none
  SslVerify ssl_verify;
  // Where the endpoint runs, when known (config/cloud_regions.h): bedrock's aws_region_name,
  // LiteLLM's region_name or vertex_location, or the region an Azure AI / Vertex api_base
  // host names; else "".
  std::string cloud_region;
  // model_info
  // model_info.id, else "<model_name>/<8 hex of SHA-256(model_name, model, api_base)>": from
  // the content, never the position, so inserting a deployment renames no other. Unique.
  std::string id;
  // model_info.jurisdiction, else derived from a Bedrock inference profile (eu./us./apac.)
  // or the cloud region through config/cloud_regions.yaml, else "" = unknown, which is never
  // eligible for pinned traffic.
  std::string jurisdiction;
  std::optional<double> input_cost_per_token, output_cost_per_token;  // USD
  std::optional<bool> supports_vision, supports_function_calling, supports_response_schema;
  std::optional<uint64_t> max_input_tokens;
  // What its tokens cost: model_info's prices over the price list's entry (config/prices.h);
  // nullopt when neither knows (requests are then recorded as unpriced, `check` says so).
  std::optional<TokenPrice> price;
  std::string price_name;  // the price list entry used, or "model_info"
  std::string file;  // the file the entry is in (the config or one it includes)
  int line = 0;      // where the entry starts in that file, for messages
};

struct RouterSettings {
  // latency-based-routing (the contract's default: DESIGN.md "Routing default"),
  // simple-shuffle (weighted random; "weighted" is the same), cost-based-routing, least-busy,
  // usage-based-routing (also LiteLLM's usage-based-routing-v2). See docs/routing.md.
  std::string routing_strategy = "latency-based-routing";
  double lowest_latency_buffer = 0;  // routing_strategy_args: latency within (1+b)*best ties
  int num_retries = 2;
  double timeout_s = 600;
  double stream_timeout_s = 0;
  int allowed_fails = 3;
  double cooldown_time_s = 30;
  // alias -> aliases to try next, in order. Every name is a model_name of model_list.
  std::map<std::string, std::vector<std::string>, std::less<>> fallbacks;
  std::map<std::string, std::vector<std::string>, std::less<>> context_window_fallbacks;
  RetryBudget retry_budget;
};

struct VirtualKey {
  std::string id;
  std::string key_sha256;           // 64 lowercase hex
  std::string team, feature, env;   // tag values: 1-64 of [A-Za-z0-9._:-], or empty
  std::string residency;            // a jurisdiction name from Config::jurisdictions, or empty
  std::vector<std::string> models;  // empty = every model
  std::optional<double> budget_usd_monthly;
  std::optional<double> budget_usd_monthly_global;  // across all regions (federation view)
  std::optional<double> soft_budget_usd_monthly;    // crossing it logs and counts a warning
  std::optional<uint32_t> rpm, tpm;
};

struct Team {
  std::string name;  // a tag value, unique
  std::optional<double> budget_usd_monthly, budget_usd_monthly_global;
  std::optional<double> soft_budget_usd_monthly;
  std::optional<uint32_t> rpm, tpm;
};

struct AuditSettings {
  std::string caller_ip = "full";  // "full" | "truncate" | "hash"
  uint64_t digest_every = 1000;    // a signed digest after this many records...
  uint32_t digest_every_s = 60;    // ...or this many seconds, whichever comes first
};

struct LedgerSettings {
  std::string on_error = "serve";  // "serve" | "refuse": when a ledger write fails
  uint32_t retention_days = 0;     // 0 = keep forever
  std::string prices;              // a price list file; empty = the built-in config/prices.yaml
};

struct ResponsesSettings {
  bool store = false;      // keep responses so previous_response_id works for any provider
  uint32_t ttl_s = 86400;  // how long stored responses resolve
};

struct LogSettings {
  // Where the access log goes: "off" (the default), "stderr", or a file path (appended to,
  // reopened on SIGUSR1). Read at start-up; a reload keeps the running destination.
  std::string access = "off";
};

struct Admin {
  std::string key_sha256;  // empty = only /healthz and /readyz are served
};

struct Config {
  std::string path;  // the file it came from
  // Every file it was read from: `path`, then the files it includes, in the order read
  // (what `serve` watches for changes).
  std::vector<std::string> files;
  NodeSettings node;
  GeoSettings geo;
  // Name -> jurisdiction. When the file has no `jurisdictions:`, the built-in default
  // (config/jurisdictions.yaml: EU-27, pinned).
  std::map<std::string, Jurisdiction, std::less<>> jurisdictions;
  FederationSettings federation;
  std::vector<Deployment> model_list;
  RouterSettings router;
  std::vector<VirtualKey> keys;
  std::vector<Team> teams;
  AuditSettings audit;
  LedgerSettings ledger;
  ResponsesSettings responses;
  LogSettings log;
  Admin admin;
  std::string prices_taken;  // the price list's date

  // Lookups built by Load(): alias -> indexes into model_list (file order), sha256 -> index
  // into keys, country code -> jurisdiction name, team name -> index into teams.
  std::map<std::string, std::vector<size_t>, std::less<>> deployments_by_alias;
  std::map<std::string, size_t, std::less<>> key_by_sha256;
  std::map<std::string, std::string, std::less<>> jurisdiction_by_country;
  std::map<std::string, size_t, std::less<>> team_by_name;
};

// One problem found in a config file, printed by `check` as "FILE:LINE: key.path: message".
// Lines are 1-based. Problems that belong to no key (YAML syntax) print "FILE:LINE: message";
// problems with the file itself (unreadable) have line 0 and print "FILE: message".
struct ConfigError {
  std::string file;
  int line = 0;
  std::string key_path;  // dotted, with list indexes: "model_list.2.litellm_params.model"
  std::string message;
  std::string ToString() const;
};

// Where Load() reads included files from: the filesystem, unless a test or the fuzzer gives
// another source.
class FileSource {
 public:
  virtual ~FileSource() = default;
  // The file's text, or why it cannot be read.
  virtual Result<std::string> Read(const std::string& path) const = 0;
  // Equal for two names of one file (include cycles and repeats are found by it).
  virtual std::string Identity(const std::string& path) const = 0;
};

struct LoadOptions {
  const FileSource* files = nullptr;  // nullptr: the filesystem
  // Out, when set: every file read or tried, the config's own first, also when loading fails
  // (a node watches them, so that creating a missing included file triggers a reload).
  std::vector<std::string>* files_read = nullptr;
  // Out, when set: the dotted path of every key the loader looked up, lists as indexes
  // ("model_list.0.litellm_params.model"): the keys it accepts, for the documentation check.
  std::set<std::string>* keys_seen = nullptr;
};

// Reads, resolves os.environ/NAME references and validates FILE and the files it includes
// (`include: [files]`, relative to the including file; merge rules in config/include.h and
// docs/configuration.md). Every problem found is
// appended to *errors (if given), sorted by line; the Config is returned only when there are
// none. On failure the Status is kInvalidArgument (kNotFound if the file cannot be read) and
// its message lists every error, one ToString() per line. Errors in an included file name
// that file and line.
Result<Config> Load(const std::string& path, std::vector<ConfigError>* errors = nullptr,
                    const LoadOptions& options = {});

// Same, from YAML text; `path` names it in messages, and included files are relative to its
// directory.
Result<Config> LoadFromString(const std::string& yaml, const std::string& path,
                              std::vector<ConfigError>* errors = nullptr,
                              const LoadOptions& options = {});

}  // namespace edge::config
