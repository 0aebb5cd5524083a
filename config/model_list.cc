// LiteLLM's model_list. Unknown keys inside an entry, litellm_params and model_info are
// ignored, as LiteLLM configs carry many we have no use for.

#include <cstdlib>

#include "config/cloud_regions.h"
#include "config/key_hash.h"
#include "config/loader.h"
#include "config/net_addr.h"

namespace edge::config {

// What a LiteLLM model prefix ("groq/" in "groq/llama-3.1-8b") means here.
struct ProviderInfo {
  std::string_view prefix;
  std::string_view provider;  // the adapter that speaks to it
  std::string_view api_base;  // default; "" = the config must give one
  std::string_view key_env;   // LiteLLM's variable for a missing api_key; "" = none
};

namespace {

constexpr std::string_view kOpenAiBase = "https://api.openai.com/v1";
constexpr std::string_view kAzureApiVersion = "2024-10-21";

constexpr ProviderInfo kProviders[] = {
    {"openai", "openai", kOpenAiBase, "OPENAI_API_KEY"},
    {"azure", "azure", "", "AZURE_API_KEY"},
    {"anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"},
    {"bedrock", "bedrock", "", ""},  // api_base comes from aws_region_name
    {"gemini", "gemini", "https://generativelanguage.googleapis.com", "GEMINI_API_KEY"},
    // OpenAI-compatible servers: the openai adapter with their own base URL.
    {"text-completion-openai", "openai", kOpenAiBase, "OPENAI_API_KEY"},
    {"groq", "openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY"},
    {"mistral", "openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
    {"ollama", "openai", "http://localhost:11434/v1", ""},
    {"hosted_vllm", "openai", "", "HOSTED_VLLM_API_KEY"},
    {"vllm", "openai", "", ""},
    {"together_ai", "openai", "https://api.together.xyz/v1", "TOGETHERAI_API_KEY"},
    {"deepseek", "openai", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
    {"openrouter", "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
    {"fireworks_ai", "openai", "https://api.fireworks.ai/inference/v1", "FIREWORKS_AI_API_KEY"},
    {"xai", "openai", "https://api.x.ai/v1", "XAI_API_KEY"},
};

const ProviderInfo* FindProvider(std::string_view prefix) {
  for (const ProviderInfo& p : kProviders) {
    if (p.prefix == prefix) return &p;
  }
  return nullptr;
}

std::string ProviderNames() {
  std::string out;
  for (const ProviderInfo& p : kProviders) out += (out.empty() ? "" : ", ") + std::string(p.prefix);
  return out;
}

// "eu-central-1", "us-gov-west-1": it becomes part of a host name, so nothing else.
bool IsAwsRegion(std::string_view s) {
  if (s.size() < 4 || s.size() > 32 || s.find('-') == std::string_view::npos) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

// A deployment's id when model_info.id does not give one: from what the deployment is, never
// from where it sits in the list, so inserting or reordering entries renames nothing (the
// id is what metrics, /admin/routes, the ledger and the audit log keep). The alias stays
// readable in front; 8 hex digits of SHA-256 over alias, model and api_base tell apart the
// deployments of one alias. Two entries with all three equal are the same deployment twice:
// the loader reports the duplicate and asks for a model_info.id.
std::string ContentId(const Deployment& d) {
  std::string content = d.model_name;
  content.append(1, '\0').append(d.model).append(1, '\0').append(d.api_base);
  return d.model_name + "/" + Sha256Hex(content).substr(0, 8);
}

std::string EnvOr(std::string_view name, std::string fallback) {
  if (name.empty()) return fallback;
  const char* v = std::getenv(std::string(name).c_str());
  return v != nullptr ? std::string(v) : fallback;
}

}  // namespace

void Loader::ParseModelList(const YamlNode* n) {
  if (n == nullptr) {
    e_.Add(1, "model_list", "is required: the node needs at least one deployment");
    return;
  }
  if (!n->is_seq() || n->items.empty()) {
    e_.Add(n->line, "model_list", "must be a list of at least one deployment");
    return;
  }
  std::map<std::string, size_t, std::less<>> ids;
  for (size_t i = 0; i < n->items.size(); ++i) {
    Deployment d;
    int id_line = ParseDeployment(n->items[i], i, &d);
    auto [it, fresh] = ids.emplace(d.id, i);
    if (!fresh) {
      const bool derived = id_line == 0;
      e_.Add(derived ? d.line : id_line, JoinPath(JoinPath("model_list", i), "model_info.id"),
             "duplicate id '" + d.id + "' (also model_list." + std::to_string(it->second) + ")" +
                 (derived ? ": same model_name, model and api_base; give each a model_info.id" : ""));
    }
    // Kept even when broken, so that names referring to it do not cause more errors.
    cfg_->model_list.push_back(std::move(d));
  }
}

int Loader::ParseDeployment(const YamlNode& n, size_t index, Deployment* d) {
  std::string path = JoinPath("model_list", index);
  d->line = n.line;
  if (!n.is_map()) {
    d->id = "/" + std::to_string(index);  // unique, so that no duplicate is reported too
    e_.Add(n.line, path, "must be a mapping with model_name and litellm_params");
    return n.line;
  }
  MapReader entry(e_, &n, path, n.line);
  if (entry.Require("model_name") && entry.String("model_name", &d->model_name) &&
      !IsHeaderSafe(d->model_name, 256)) {
    e_.Add(entry.LineOf("model_name"), entry.PathOf("model_name"),
           "must be 1-256 characters without control characters");
  }
  if (entry.Require("litellm_params")) {
    MapReader lp(e_, entry.Get("litellm_params"), entry.PathOf("litellm_params"), n.line);
    ParseLitellmParams(lp, d);
  }
  MapReader info(e_, entry.Get("model_info"), entry.PathOf("model_info"), n.line);
  ParseModelInfo(info, d);
  if (d->id.empty()) d->id = ContentId(*d);
  // Where its data is processed, when the config does not say (config/cloud_regions.yaml).
  if (d->jurisdiction.empty()) d->jurisdiction = CloudJurisdiction(*d);
  // 0: the id was derived, not written.
  return info.Get("id") != nullptr ? info.LineOf("id") : 0;
}

void Loader::ParseLitellmParams(MapReader& lp, Deployment* d) {
  const ProviderInfo* provider = nullptr;
  if (lp.Require("model") && lp.String("model", &d->model)) {
    std::string_view model = d->model;
    size_t slash = model.find('/');
    std::string_view prefix = slash == std::string_view::npos ? "openai" : model.substr(0, slash);
    std::string_view rest = slash == std::string_view::npos ? model : model.substr(slash + 1);
    provider = FindProvider(prefix);
    if (provider == nullptr) {
      e_.Add(lp.LineOf("model"), lp.PathOf("model"),
             "unknown provider '" + std::string(prefix) + "' (known: " + ProviderNames() + ")");
    } else {
      // LiteLLM's bedrock/converse/ and bedrock/invoke/ pick an API; the model id follows.
      if (provider->provider == "bedrock") {
        for (std::string_view api : {"converse/", "invoke/"}) {
          if (rest.starts_with(api)) rest.remove_prefix(api.size());
        }
      }
      if (rest.empty() || !IsHeaderSafe(rest, 256)) {
        e_.Add(lp.LineOf("model"), lp.PathOf("model"), "names no model after the provider");
        provider = nullptr;
      } else {
        d->provider = std::string(provider->provider);
        d->upstream_model = std::string(rest);
      }
    }
  }
  lp.String("api_version", &d->api_version);
  lp.Int("rpm", 1, &d->rpm);
  lp.Int("tpm", 1, &d->tpm);
  lp.Double("weight", 0, true, &d->weight);
  lp.Int("order", 0, &d->order);
  d->timeout_s = cfg_->router.timeout_s;
  lp.Double("timeout", 0, true, &d->timeout_s);
  d->stream_timeout_s = cfg_->router.stream_timeout_s;
  lp.Double("stream_timeout", 0, true, &d->stream_timeout_s);
  ParseSslVerify(lp, d);
  ApplyProvider(lp, provider, d);
  std::string region_name, vertex_location;  // LiteLLM's names for Azure / Vertex regions
  lp.String("region_name", &region_name);
  lp.String("vertex_location", &vertex_location);
  d->cloud_region = CloudRegionOf(*d, region_name, vertex_location);
}

void Loader::ApplyProvider(MapReader& lp, const ProviderInfo* p, Deployment* d) {
  std::string base;
  bool base_given = lp.String("api_base", &base) && !base.empty();
  if (base_given) {
    Status ok = CheckHttpUrl(base, &d->api_base);
    if (!ok.ok()) e_.Add(lp.LineOf("api_base"), lp.PathOf("api_base"), ok.message());
  }
  bool has_key = lp.String("api_key", &d->api_key);
  bool has_region = lp.String("aws_region_name", &d->aws_region_name);
  bool has_id = lp.String("aws_access_key_id", &d->aws_access_key_id);
  bool has_secret = lp.String("aws_secret_access_key", &d->aws_secret_access_key);
  bool has_token = lp.String("aws_session_token", &d->aws_session_token);
  if (p == nullptr) return;  // the model string was wrong: nothing more to say

  if (!has_key && lp.Get("api_key") == nullptr) d->api_key = EnvOr(p->key_env, "");
  if (p->provider == "bedrock") {
    if (!has_region) {
      if (lp.Get("aws_region_name") == nullptr) {  // else its os.environ/ error is recorded
        e_.Add(lp.line(), lp.PathOf("aws_region_name"), "is required for bedrock");
      }
    } else if (!IsAwsRegion(d->aws_region_name)) {
      e_.Add(lp.LineOf("aws_region_name"), lp.PathOf("aws_region_name"),
             "must be an AWS region such as eu-central-1");
    } else if (!base_given) {
      d->api_base = "https://bedrock-runtime." + d->aws_region_name + ".amazonaws.com";
    }
    if (has_id != has_secret) {
      const char* missing = has_id ? "aws_secret_access_key" : "aws_access_key_id";
      e_.Add(lp.line(), lp.PathOf(missing),
             std::string("is required with ") +
                 (has_id ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    if (!has_id && lp.Get("aws_access_key_id") == nullptr &&
        lp.Get("aws_secret_access_key") == nullptr) {
      d->aws_access_key_id = EnvOr("AWS_ACCESS_KEY_ID", "");
      d->aws_secret_access_key = EnvOr("AWS_SECRET_ACCESS_KEY", "");
      if (!has_token && lp.Get("aws_session_token") == nullptr) {
        d->aws_session_token = EnvOr("AWS_SESSION_TOKEN", "");
      }
    }
    return;
  }
  if (p->provider == "azure" && d->api_version.empty()) {
    d->api_version = std::string(kAzureApiVersion);
  }
  if (!base_given) {
    if (p->api_base.empty()) {
      e_.Add(lp.line(), lp.PathOf("api_base"),
             "is required for " + std::string(p->prefix) + " deployments");
    } else {
      d->api_base = std::string(p->api_base);
    }
  }
}

void Loader::ParseSslVerify(MapReader& lp, Deployment* d) {
  const YamlNode* n = lp.Get("ssl_verify");
  if (n == nullptr) return;
  std::string path = lp.PathOf("ssl_verify");
  if (!n->is_scalar()) {
    e_.Add(n->line, path, "must be true, false or the path of a CA file");
    return;
  }
  auto text = ReadString(e_, *n, path);
  if (!text) return;
  bool verify = true;
  if (ParseBoolWord(*text, &verify)) {
    d->ssl_verify = SslVerify{verify, ""};
  } else if (text->empty()) {
    e_.Add(n->line, path, "must be true, false or the path of a CA file");
  } else if (CheckReadableFile(e_, *text, n->line, path)) {
    d->ssl_verify = SslVerify{true, *text};
  }
}

void Loader::ParseModelInfo(MapReader& info, Deployment* d) {
  std::string id;
  if (info.String("id", &id)) {
    if (IsHeaderSafe(id, 256)) {
      d->id = std::move(id);
    } else {
      e_.Add(info.LineOf("id"), info.PathOf("id"),
             "must be 1-256 characters without control characters");
    }
  }
  std::string jurisdiction;
  if (info.String("jurisdiction", &jurisdiction)) {
    if (IsTagValue(jurisdiction)) {
      d->jurisdiction = std::move(jurisdiction);
    } else {
      e_.Add(info.LineOf("jurisdiction"), info.PathOf("jurisdiction"),
             "must be a jurisdiction name: 1-64 characters of [A-Za-z0-9._:-]");
    }
  }
  info.Double("input_cost_per_token", 0, false, &d->input_cost_per_token);
  info.Double("output_cost_per_token", 0, false, &d->output_cost_per_token);
  bool b = false;
  if (info.Bool("supports_vision", &b)) d->supports_vision = b;
  if (info.Bool("supports_function_calling", &b)) d->supports_function_calling = b;
  if (info.Bool("supports_response_schema", &b)) d->supports_response_schema = b;
  info.Int("max_input_tokens", 1, &d->max_input_tokens);
}

}  // namespace edge::config
