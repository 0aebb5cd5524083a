#include "node/runtime/usage_metrics.h"

#include <algorithm>
#include <map>

namespace edge::runtime {
namespace {

// Labels are joined with a byte no tag value or config name contains.
constexpr char kSeparator = '\x1f';
constexpr std::array<std::string_view, 5> kLabelNames = {"team", "feature", "env", "model",
                                                         "deployment"};
constexpr std::array<std::string_view, 3> kTokenTypes = {"input", "output", "cached_input"};

// `value` cut to at most `max` bytes, without splitting a UTF-8 sequence.
std::string_view Capped(std::string_view value, size_t max) {
  if (value.size() <= max) return value;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  return value.substr(0, n);
}

void AppendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

// {team="a",feature="b",...} without the closing brace, so that callers add their own.
void AppendLabels(std::string& out, std::string_view key) {
  out.push_back('{');
  size_t start = 0;
  for (size_t i = 0; i < kLabelNames.size(); ++i) {
    size_t end = key.find(kSeparator, start);
    if (end == std::string_view::npos) end = key.size();
    if (i > 0) out.push_back(',');
    out.append(kLabelNames[i]).append("=\"");
    AppendEscaped(out, key.substr(start, end - start));
    out.push_back('"');
    start = end + 1;
  }
}

}  // namespace

UsageMetrics::UsageMetrics(size_t shards) {
  for (size_t i = 0; i < std::max<size_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

void UsageMetrics::Shard::Record(const RequestRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  key_.assign(Capped(r.team, kMaxLabelBytes)).push_back(kSeparator);
  key_.append(Capped(r.feature, kMaxLabelBytes)).push_back(kSeparator);
  key_.append(Capped(r.env, kMaxLabelBytes)).push_back(kSeparator);
  key_.append(Capped(r.model, kMaxLabelBytes)).push_back(kSeparator);
  key_.append(Capped(r.deployment, kMaxLabelBytes));
  auto it = series_.find(std::string_view(key_));
  if (it == series_.end()) {
    if (series_.size() >= kMaxSeries) {
      key_.assign("_overflow\x1f_overflow\x1f_overflow\x1f_overflow\x1f_overflow");
    }
    it = series_.try_emplace(key_).first;
  }
  Counters& c = it->second;
  ++c.requests[static_cast<size_t>(r.outcome)];
  if (r.usage != nullptr) {
    auto& tokens = c.tokens[r.usage->reported ? 0 : 1];
    tokens[0] += static_cast<uint64_t>(std::max<int64_t>(r.usage->input_tokens, 0));
    tokens[1] += static_cast<uint64_t>(std::max<int64_t>(r.usage->output_tokens, 0));
    tokens[2] += static_cast<uint64_t>(std::max<int64_t>(r.usage->cached_input_tokens, 0));
  }
  c.cost_micros += static_cast<uint64_t>(std::max<int64_t>(r.cost_micros, 0));
}

std::string UsageMetrics::RenderPrometheus() const {
  std::map<std::string, Shard::Counters> sums;  // sorted: a stable exposition
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu_);
    for (const auto& [key, c] : shard->series_) {
      Shard::Counters& sum = sums[key];
      for (size_t i = 0; i < c.requests.size(); ++i) sum.requests[i] += c.requests[i];
      for (size_t e = 0; e < 2; ++e) {
        for (size_t t = 0; t < kTokenTypes.size(); ++t) sum.tokens[e][t] += c.tokens[e][t];
      }
      sum.cost_micros += c.cost_micros;
    }
  }
  std::string out;
  out.append("# HELP llm_edge_requests_total Requests finished, by how they ended.\n");
  out.append("# TYPE llm_edge_requests_total counter\n");
  for (const auto& [key, c] : sums) {
    for (size_t i = 0; i < c.requests.size(); ++i) {
      if (c.requests[i] == 0) continue;
      out.append("llm_edge_requests_total");
      AppendLabels(out, key);
      out.append(",outcome=\"").append(kOutcomeNames[i]).append("\"} ");
      out.append(std::to_string(c.requests[i])).push_back('\n');
    }
  }
  out.append("# HELP llm_edge_tokens_total Tokens billed; estimated=\"true\" where the provider ");
  out.append("did not report them (streams cut short).\n");
  out.append("# TYPE llm_edge_tokens_total counter\n");
  for (const auto& [key, c] : sums) {
    for (size_t e = 0; e < 2; ++e) {
      for (size_t t = 0; t < kTokenTypes.size(); ++t) {
        if (c.tokens[e][t] == 0) continue;
        out.append("llm_edge_tokens_total");
        AppendLabels(out, key);
        out.append(",type=\"").append(kTokenTypes[t]).append("\",estimated=\"");
        out.append(e == 1 ? "true" : "false").append("\"} ");
        out.append(std::to_string(c.tokens[e][t])).push_back('\n');
      }
    }
  }
  out.append("# HELP llm_edge_cost_micro_usd_total Cost billed by the ledger, in micro-dollars.\n");
  out.append("# TYPE llm_edge_cost_micro_usd_total counter\n");
  for (const auto& [key, c] : sums) {
    if (c.cost_micros == 0) continue;
    out.append("llm_edge_cost_micro_usd_total");
    AppendLabels(out, key);
    out.append("} ").append(std::to_string(c.cost_micros)).push_back('\n');
  }
  return out;
}

}  // namespace edge::runtime
