#include "node/routing/router.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>

#include "common/event_clock.h"
#include "providers/json_tree.h"
#include "providers/usage_estimate.h"

namespace edge::routing {

int64_t NowMs() {
  // +1: never 0, which DeploymentState reads as "no cooldown".
  return event_clock::MonotonicMicros() / 1000 + 1;
}

int64_t NowUnixMs() { return event_clock::WallMicros() / 1000; }

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

Rng& Rng::ForThread() {
  thread_local Rng rng = [] {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
      seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return Rng(seed);
  }();
  return rng;
}

RequestNeeds ReadNeeds(std::string_view body) {
  RequestNeeds needs;
  needs.prompt_tokens = providers::EstimatePromptTokens(body);
  providers::JsonTree tree;
  if (!tree.Parse(body).ok()) return needs;
  const providers::JsonNode& root = tree.root();
  for (const char* key : {"tools", "functions"}) {
    const providers::JsonNode* t = root.Find(key);
    if (t != nullptr && t->IsArray() && !t->Empty()) needs.tools = true;
  }
  if (const providers::JsonNode* rf = root.Find("response_format")) {
    const providers::JsonNode* type = rf->Find("type");
    needs.json_schema = type != nullptr && type->text() == "json_schema";
  }
  if (const providers::JsonNode* messages = root.Find("messages"); messages && messages->IsArray()) {
    for (const providers::JsonNode& m : *messages) {
      const providers::JsonNode* content = m.Find("content");
      if (content == nullptr || !content->IsArray()) continue;
      for (const providers::JsonNode& part : *content) {
        const providers::JsonNode* type = part.Find("type");
        if (type != nullptr && (type->text() == "image_url" || type->text() == "input_image" ||
                                type->text() == "image")) {
          needs.images = true;
        }
      }
    }
  }
  return needs;
}

int64_t RetryAfterMs(std::string_view seconds) {
  if (seconds.empty()) return 0;
  double v = 0;
  auto [end, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), v);
  if (ec != std::errc() || end != seconds.data() + seconds.size() || !(v > 0) || !std::isfinite(v)) {
    return 0;
  }
  return static_cast<int64_t>(std::min(v, 3600.0) * 1000);
}

States Router::StatesFor(const config::Config& cfg) {
  std::lock_guard lock(mu_);
  States states;
  states.reserve(cfg.model_list.size());
  for (const config::Deployment& d : cfg.model_list) {
    std::shared_ptr<DeploymentState> s;
    auto it = by_id_.find(d.id);
    if (it != by_id_.end()) s = it->second.lock();
    if (s == nullptr) {
      s = std::make_shared<DeploymentState>();
      by_id_[d.id] = s;
    }
    states.push_back(std::move(s));
  }
  // Forget ids no snapshot holds any more.
  std::erase_if(by_id_, [](const auto& entry) { return entry.second.expired(); });
  return states;
}

namespace {

void Number(rapidjson::Writer<rapidjson::StringBuffer>& w, double v) {
  // Three decimals are plenty for milliseconds and keep the JSON short.
  w.Double(std::round(v * 1000) / 1000);
}

}  // namespace

std::string Router::RoutesJson(const config::Config& cfg, const States& states, int64_t now_ms,
                               int64_t now_unix_ms) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("strategy");
  w.String(cfg.router.routing_strategy.c_str());
  RetryBudget::Totals budget = retry_budget_.InWindow(now_ms);
  w.Key("retry_budget");
  w.StartObject();
  w.Key("requests_10s");
  w.Uint64(budget.requests);
  w.Key("retries_10s");
  w.Uint64(budget.retries);
  w.Key("refusals");
  w.Uint64(retry_budget_.refusals());
  w.EndObject();
  w.Key("deployments");
  w.StartArray();
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    const config::Deployment& d = cfg.model_list[i];
    const DeploymentState& s = *states[i];
    w.StartObject();
    w.Key("id");
    w.String(d.id.c_str());
    w.Key("model_name");
    w.String(d.model_name.c_str());
    w.Key("provider");
    w.String(d.provider.c_str());
    w.Key("model");
    w.String(d.model.c_str());
    w.Key("jurisdiction");
    if (d.jurisdiction.empty()) w.Null(); else w.String(d.jurisdiction.c_str());
    w.Key("cloud_region");
    if (d.cloud_region.empty()) w.Null(); else w.String(d.cloud_region.c_str());
    Health h = s.HealthAt(now_ms);
    w.Key("state");
    w.String(HealthName(h).data());
    if (h == Health::kCoolingDown) {
      // Wall-clock time, RFC 3339 UTC with milliseconds.
      int64_t until = now_unix_ms + (s.cooldown_until_ms() - now_ms);
      std::time_t secs = static_cast<std::time_t>(until / 1000);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      char text[64];
      std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<int>(until % 1000));
      w.Key("cooldown_until");
      w.String(text);
    }
    w.Key("in_flight");
    w.Int(s.in_flight.load(std::memory_order_relaxed));
    w.Key("latency");
    w.StartObject();
    w.Key("ttfb_ms");
    if (s.ttfb_ms.observed()) Number(w, s.ttfb_ms.Last()); else w.Null();
    w.Key("ms_per_token");
    if (s.ms_per_token.observed()) Number(w, s.ms_per_token.Last()); else w.Null();
    w.EndObject();
    DeploymentState::Minute m = s.ThisMinute(now_ms);
    w.Key("last_minute");
    w.StartObject();
    w.Key("requests");
    w.Uint(m.requests);
    w.Key("failures");
    w.Uint(m.failures);
    w.Key("tokens");
    w.Uint64(m.tokens);
    w.EndObject();
    w.Key("rpm");
    if (d.rpm) w.Uint(*d.rpm); else w.Null();
    w.Key("tpm");
    if (d.tpm) w.Uint(*d.tpm); else w.Null();
    w.Key("weight");
    w.Double(d.weight);
    w.Key("order");
    w.Int(d.order);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {

// A label value as Prometheus' text format wants it: \ " and newline escaped.
void Label(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

void Series(std::string& out, std::string_view name, std::string_view id, std::string_view extra,
            uint64_t value) {
  out.append(name).append("{deployment=\"");
  Label(out, id);
  out.append("\"").append(extra).append("} ").append(std::to_string(value)).append("\n");
}

}  // namespace

std::string Router::RenderPrometheus(const config::Config& cfg, const States& states) const {
  std::string out;
  out += "# HELP llm_edge_upstream_attempts_total Upstream attempts by deployment and outcome.\n"
         "# TYPE llm_edge_upstream_attempts_total counter\n";
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    for (size_t o = 1; o < states[i]->attempts_by_outcome.size(); ++o) {
      std::string extra = ",outcome=\"" + std::string(AttemptOutcomeName(static_cast<AttemptOutcome>(o))) + "\"";
      Series(out, "llm_edge_upstream_attempts_total", cfg.model_list[i].id, extra,
             states[i]->attempts_by_outcome[o].load(std::memory_order_relaxed));
    }
  }
  out += "# HELP llm_edge_cooldowns_total Times a deployment entered a cooldown.\n"
         "# TYPE llm_edge_cooldowns_total counter\n";
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    Series(out, "llm_edge_cooldowns_total", cfg.model_list[i].id, "",
           states[i]->cooldowns.load(std::memory_order_relaxed));
  }
  out += "# HELP llm_edge_deployment_state 1 for the state each deployment is in now (healthy, "
         "cooling_down after failures or a 429, probing: one request tests it), 0 for the others.\n"
         "# TYPE llm_edge_deployment_state gauge\n";
  const int64_t now_ms = NowMs();
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    const Health now = states[i]->HealthAt(now_ms);
    for (Health h : {Health::kHealthy, Health::kCoolingDown, Health::kProbing}) {
      Series(out, "llm_edge_deployment_state", cfg.model_list[i].id,
             ",state=\"" + std::string(HealthName(h)) + "\"", h == now ? 1 : 0);
    }
  }
  out += "# HELP llm_edge_deployment_in_flight Upstream attempts in flight.\n"
         "# TYPE llm_edge_deployment_in_flight gauge\n";
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    Series(out, "llm_edge_deployment_in_flight", cfg.model_list[i].id, "",
           static_cast<uint64_t>(std::max(0, states[i]->in_flight.load(std::memory_order_relaxed))));
  }
  out += "# HELP llm_edge_upstream_latency_seconds Upstream attempt duration (answered attempts).\n"
         "# TYPE llm_edge_upstream_latency_seconds histogram\n";
  for (size_t i = 0; i < cfg.model_list.size() && i < states.size(); ++i) {
    const DeploymentState& s = *states[i];
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBucketsMs.size(); ++b) {
      cumulative += s.latency_buckets[b].load(std::memory_order_relaxed);
      char le[32];
      if (b < kLatencyBucketsMs.size()) {
        std::snprintf(le, sizeof(le), ",le=\"%g\"", kLatencyBucketsMs[b] / 1000);
      } else {
        std::snprintf(le, sizeof(le), ",le=\"+Inf\"");
      }
      Series(out, "llm_edge_upstream_latency_seconds_bucket", cfg.model_list[i].id, le, cumulative);
    }
    out.append("llm_edge_upstream_latency_seconds_sum{deployment=\"");
    Label(out, cfg.model_list[i].id);
    char sum[48];
    std::snprintf(sum, sizeof(sum), "\"} %.6f\n",
                  static_cast<double>(s.latency_sum_us.load(std::memory_order_relaxed)) / 1e6);
    out.append(sum);
    Series(out, "llm_edge_upstream_latency_seconds_count", cfg.model_list[i].id, "",
           s.latency_count.load(std::memory_order_relaxed));
  }
  out += "# HELP llm_edge_fallbacks_total Attempts sent to a fallback model group.\n"
         "# TYPE llm_edge_fallbacks_total counter\n"
         "llm_edge_fallbacks_total " + std::to_string(fallbacks.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP llm_edge_retry_budget_refusals_total Retries the node-wide retry budget refused.\n"
         "# TYPE llm_edge_retry_budget_refusals_total counter\n"
         "llm_edge_retry_budget_refusals_total " + std::to_string(retry_budget_.refusals()) + "\n";
  return out;
}

}  // namespace edge::routing
