// router_settings, keys, teams and admin: all strict, an unknown key is a typo.

#include "config/loader.h"

namespace edge::config {

namespace {

constexpr char kSha256Message[] =
    "must be 64 lowercase hex digits: the sha256 of the key, as `llm-edge keygen` prints it";

// LiteLLM router settings about its own infrastructure (Redis, logging). They mean nothing
// here, and accepting them lets a LiteLLM config load as written.
constexpr std::string_view kIgnoredRouterKeys[] = {
    "redis_host",      "redis_port",   "redis_password",
    "redis_url",       "set_verbose",  "debug_level",
    "cache_responses", "cache_kwargs", "enable_pre_call_checks",
};

}  // namespace

void Loader::ParseRouter(const YamlNode* n) {
  MapReader r(e_, n, "router_settings", 1);
  RouterSettings& s = cfg_->router;
  r.Enum("routing_strategy",
         {"simple-shuffle", "latency-based-routing", "cost-based-routing", "least-busy",
          "usage-based-routing", "usage-based-routing-v2", "weighted"},
         &s.routing_strategy);
  MapReader args(e_, r.Get("routing_strategy_args"), r.PathOf("routing_strategy_args"),
                 r.LineOf("routing_strategy_args"));
  args.Double("lowest_latency_buffer", 0, false, &s.lowest_latency_buffer);
  args.Get("ttl");  // LiteLLM's latency window; ours is fixed
  args.RejectUnknown();
  r.Int("num_retries", 0, &s.num_retries);
  r.Double("timeout", 0, true, &s.timeout_s);
  r.Double("stream_timeout", 0, true, &s.stream_timeout_s);
  r.Int("allowed_fails", 0, &s.allowed_fails);
  r.Double("cooldown_time", 0, false, &s.cooldown_time_s);
  ParseFallbacks(r, "fallbacks", &s.fallbacks);
  ParseFallbacks(r, "context_window_fallbacks", &s.context_window_fallbacks);
  MapReader budget(e_, r.Get("retry_budget"), r.PathOf("retry_budget"), r.LineOf("retry_budget"));
  budget.Double("ratio", 0, false, &s.retry_budget.ratio);
  budget.Double("min_retries_per_second", 0, false, &s.retry_budget.min_retries_per_second);
  budget.RejectUnknown();
  for (std::string_view key : kIgnoredRouterKeys) r.Get(key);
  r.RejectUnknown();
}

// LiteLLM's shape: [{alias: [fallback, ...]}, ...].
void Loader::ParseFallbacks(MapReader& r, std::string_view key,
                            std::map<std::string, std::vector<std::string>, std::less<>>* out) {
  const YamlNode* n = r.Get(key);
  if (n == nullptr) return;
  const std::string path = r.PathOf(key);
  const char* shape = "must be a list like [{model_name: [fallback_model_name, ...]}]";
  if (!n->is_seq()) {
    e_.Add(n->line, path, shape);
    return;
  }
  for (size_t i = 0; i < n->items.size(); ++i) {
    const YamlNode& item = n->items[i];
    if (!item.is_map()) {
      e_.Add(item.line, JoinPath(path, i), shape);
      continue;
    }
    for (const YamlEntry& entry : item.entries) {
      std::string entry_path = JoinPath(JoinPath(path, i), entry.key);
      alias_refs_.push_back({entry.key, entry.key_line, entry_path});
      auto targets = ReadStringList(e_, entry.value, entry_path);
      if (!targets) continue;
      for (size_t j = 0; j < targets->size(); ++j) {
        const std::string& t = (*targets)[j];
        int line = entry.value.items[j].line;
        if (t == entry.key) e_.Add(line, JoinPath(entry_path, j), "falls back to itself");
        alias_refs_.push_back({t, line, JoinPath(entry_path, j)});
      }
      if (!out->emplace(entry.key, std::move(*targets)).second) {
        e_.Add(entry.key_line, entry_path, "has fallbacks listed twice");
      }
    }
  }
}

void Loader::ParseKeys(const YamlNode* n) {
  if (n == nullptr) return;
  if (!n->is_seq()) {
    e_.Add(n->line, "keys", "must be a list of keys");
    return;
  }
  std::map<std::string, size_t, std::less<>> ids, hashes;
  for (size_t i = 0; i < n->items.size(); ++i) {
    const YamlNode& item = n->items[i];
    std::string path = JoinPath("keys", i);
    if (!item.is_map()) {
      e_.Add(item.line, path, "must be a mapping with id and key_sha256");
      continue;
    }
    MapReader m(e_, &item, path, item.line);
    VirtualKey k;
    ParseKey(m, &k);
    if (!k.id.empty() && !ids.emplace(k.id, i).second) {
      e_.Add(m.LineOf("id"), m.PathOf("id"),
             "duplicate id '" + k.id + "' (also keys." + std::to_string(ids[k.id]) + ")");
    }
    if (!k.key_sha256.empty() && !hashes.emplace(k.key_sha256, i).second) {
      e_.Add(m.LineOf("key_sha256"), m.PathOf("key_sha256"),
             "duplicate key_sha256 (also keys." + std::to_string(hashes[k.key_sha256]) + ")");
    }
    cfg_->keys.push_back(std::move(k));
  }
}

void Loader::ParseKey(MapReader& m, VirtualKey* k) {
  if (m.Require("id") && m.String("id", &k->id) && !IsHeaderSafe(k->id, 128)) {
    e_.Add(m.LineOf("id"), m.PathOf("id"), "must be 1-128 characters without control characters");
    k->id.clear();
  }
  if (m.Require("key_sha256") && m.String("key_sha256", &k->key_sha256) &&
      !IsSha256Hex(k->key_sha256)) {
    e_.Add(m.LineOf("key_sha256"), m.PathOf("key_sha256"), kSha256Message);
    k->key_sha256.clear();
  }
  TagValue(m, "team", &k->team);
  TagValue(m, "feature", &k->feature);
  TagValue(m, "env", &k->env);
  std::string residency;
  if (m.String("residency", &residency) &&
      KnownJurisdiction(residency, m.LineOf("residency"), m.PathOf("residency"))) {
    k->residency = std::move(residency);
  }
  m.StringList("models", &k->models, [this](const std::string& v, int line, const std::string& p) {
    alias_refs_.push_back({v, line, p});
    return true;
  });
  m.Double("budget_usd_monthly", 0, false, &k->budget_usd_monthly);
  m.Double("budget_usd_monthly_global", 0, false, &k->budget_usd_monthly_global);
  m.Double("soft_budget_usd_monthly", 0, false, &k->soft_budget_usd_monthly);
  m.Int("rpm", 1, &k->rpm);
  m.Int("tpm", 1, &k->tpm);
  m.RejectUnknown();
}

void Loader::ParseTeams(const YamlNode* n) {
  if (n == nullptr) return;
  if (!n->is_seq()) {
    e_.Add(n->line, "teams", "must be a list of teams");
    return;
  }
  std::map<std::string, size_t, std::less<>> names;
  for (size_t i = 0; i < n->items.size(); ++i) {
    if (!n->items[i].is_map()) {
      e_.Add(n->items[i].line, JoinPath("teams", i), "must be a mapping with a name");
      continue;
    }
    MapReader m(e_, &n->items[i], JoinPath("teams", i), n->items[i].line);
    Team t;
    if (m.Require("name")) TagValue(m, "name", &t.name);
    if (!t.name.empty() && !names.emplace(t.name, i).second) {
      e_.Add(m.LineOf("name"), m.PathOf("name"), "duplicate team '" + t.name + "'");
    }
    m.Double("budget_usd_monthly", 0, false, &t.budget_usd_monthly);
    m.Double("budget_usd_monthly_global", 0, false, &t.budget_usd_monthly_global);
    m.Double("soft_budget_usd_monthly", 0, false, &t.soft_budget_usd_monthly);
    m.Int("rpm", 1, &t.rpm);
    m.Int("tpm", 1, &t.tpm);
    m.RejectUnknown();
    cfg_->teams.push_back(std::move(t));
  }
}

void Loader::ParseAdmin(const YamlNode* n) {
  MapReader m(e_, n, "admin", 1);
  std::string hash;
  if (m.String("key_sha256", &hash)) {
    if (IsSha256Hex(hash)) {
      cfg_->admin.key_sha256 = std::move(hash);
    } else {
      e_.Add(m.LineOf("key_sha256"), m.PathOf("key_sha256"), kSha256Message);
    }
  }
  m.RejectUnknown();
}

}  // namespace edge::config
