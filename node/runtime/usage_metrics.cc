#include "node/runtime/usage_metrics.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "node/runtime/prometheus_text.h"

namespace edge::runtime {
namespace {

// Labels are joined with a byte no tag value or config name contains.
constexpr char kSeparator = '\x1f';
constexpr std::array<std::string_view, 5> kUsageLabels = {"team", "feature", "env", "model",
                                                          "deployment"};
constexpr std::array<std::string_view, 4> kResponseLabels = {"model", "deployment", "jurisdiction",
                                                             "status"};
constexpr std::array<std::string_view, 1> kLatencyLabels = {"model"};
constexpr std::array<std::string_view, 3> kTokenTypes = {"input", "output", "cached_input"};
constexpr std::string_view kOverflow = "_overflow";

// `value` cut to at most `max` bytes, without splitting a UTF-8 sequence.
std::string_view Capped(std::string_view value, size_t max) {
  if (value.size() <= max) return value;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  return value.substr(0, n);
}

void AddLabel(std::string& key, std::string_view value, bool first = false) {
  if (!first) key.push_back(kSeparator);
  key.append(Capped(value, UsageMetrics::kMaxLabelBytes));
}

// The key of the overflow series of a family with `labels` labels.
std::string OverflowKey(size_t labels) {
  std::string key(kOverflow);
  for (size_t i = 1; i < labels; ++i) key.push_back(kSeparator), key.append(kOverflow);
  return key;
}

// a="x",b="y" for a joined key.
template <size_t N>
std::string Labels(const std::array<std::string_view, N>& names, std::string_view key) {
  std::string out;
  size_t start = 0;
  for (size_t i = 0; i < N; ++i) {
    size_t end = key.find(kSeparator, start);
    if (end == std::string_view::npos) end = key.size();
    if (i > 0) out.push_back(',');
    out.append(names[i]).append("=\"");
    AppendLabelValue(out, key.substr(start, end - start));
    out.push_back('"');
    start = end + 1;
  }
  return out;
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels,
                  uint64_t value) {
  out.append(name).push_back('{');
  out.append(labels).append("} ").append(std::to_string(value)).push_back('\n');
}

struct UsageSum {
  std::array<uint64_t, kOutcomeNames.size()> requests{};
  std::array<std::array<uint64_t, 3>, 2> tokens{};
  uint64_t cost_micros = 0;
};
struct LatencySum {
  HistogramSum<kDurationBoundsUs.size()> total, first_byte;
  HistogramSum<kOverheadBoundsUs.size()> overhead;
  HistogramSum<kAttemptBounds.size()> attempts;
};

template <size_t N>
void AppendHistogramSum(std::string& out, std::string_view name, std::string_view labels,
                        const std::array<int64_t, N>& bounds, const HistogramSum<N>& h,
                        double scale) {
  AppendHistogram(out, name, labels, bounds, h.buckets, h.sum, scale);
}

}  // namespace

UsageMetrics::UsageMetrics(size_t shards) {
  for (size_t i = 0; i < std::max<size_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

void UsageMetrics::Shard::Record(const RequestRecord& r) {
  key_.clear();
  AddLabel(key_, r.team, true);
  AddLabel(key_, r.feature);
  AddLabel(key_, r.env);
  AddLabel(key_, r.model);
  AddLabel(key_, r.deployment);
  UsageCells& c = usage_.Get(key_);
  Bump(c.requests[static_cast<size_t>(r.outcome)]);
  if (r.usage != nullptr) {
    auto& tokens = c.tokens[r.usage->reported ? 0 : 1];
    Bump(tokens[0], static_cast<uint64_t>(std::max<int64_t>(r.usage->input_tokens, 0)));
    Bump(tokens[1], static_cast<uint64_t>(std::max<int64_t>(r.usage->output_tokens, 0)));
    Bump(tokens[2], static_cast<uint64_t>(std::max<int64_t>(r.usage->cached_input_tokens, 0)));
  }
  if (r.cost_micros > 0) Bump(c.cost_micros, static_cast<uint64_t>(r.cost_micros));

  // The model and deployment labels are the usage key's last two: keep them.
  const size_t model_at = key_.size() - Capped(r.deployment, kMaxLabelBytes).size() -
                          Capped(r.model, kMaxLabelBytes).size() - 1;
  key_.erase(0, model_at);
  AddLabel(key_, r.jurisdiction.empty() ? std::string_view("none") : r.jurisdiction);
  char status[16];
  if (r.status > 0) {
    auto [end, ec] = std::to_chars(status, status + sizeof(status), r.status);
    AddLabel(key_, std::string_view(status, static_cast<size_t>(end - status)));
  } else {
    AddLabel(key_, "none");
  }
  Bump(responses_.Get(key_).count);

  LatencyCells& l = latency_.Get(Capped(r.model, kMaxLabelBytes));
  if (r.total_us >= 0) l.total.Observe(kDurationBoundsUs, r.total_us);
  if (r.first_byte_us >= 0) l.first_byte.Observe(kDurationBoundsUs, r.first_byte_us);
  if (r.overhead_us >= 0) l.overhead.Observe(kOverheadBoundsUs, r.overhead_us);
  l.attempts.Observe(kAttemptBounds, r.attempts);
}

std::string UsageMetrics::RenderPrometheus() const {
  // Sorted maps: a stable exposition.
  std::map<std::string, UsageSum> usage;
  std::map<std::string, uint64_t> responses;
  std::map<std::string, LatencySum> latency;
  HistogramSum<kCommitBoundsUs.size()> commit;
  uint64_t submitted = 0, committed = 0;
  std::array<uint64_t, 3> overflowed{};
  const std::string usage_overflow = OverflowKey(kUsageLabels.size());
  const std::string response_overflow = OverflowKey(kResponseLabels.size());
  for (const auto& shard : shards_) {
    shard->usage_.ForEach(usage_overflow, [&](std::string_view key, const Shard::UsageCells& c) {
      UsageSum& sum = usage[std::string(key)];
      for (size_t i = 0; i < c.requests.size(); ++i) sum.requests[i] += Read(c.requests[i]);
      for (size_t e = 0; e < 2; ++e) {
        for (size_t t = 0; t < kTokenTypes.size(); ++t) sum.tokens[e][t] += Read(c.tokens[e][t]);
      }
      sum.cost_micros += Read(c.cost_micros);
    });
    shard->responses_.ForEach(response_overflow,
                              [&](std::string_view key, const Shard::ResponseCells& c) {
                                responses[std::string(key)] += Read(c.count);
                              });
    shard->latency_.ForEach(kOverflow, [&](std::string_view key, const Shard::LatencyCells& c) {
      LatencySum& sum = latency[std::string(key)];
      sum.total.Add(c.total);
      sum.first_byte.Add(c.first_byte);
      sum.overhead.Add(c.overhead);
      sum.attempts.Add(c.attempts);
    });
    commit.Add(shard->commit_);
    // Committed before submitted: a record counted as committed was submitted before.
    committed += Read(shard->ledger_committed_);
    submitted += Read(shard->ledger_submitted_);
    overflowed[0] += shard->usage_.overflowed();
    overflowed[1] += shard->responses_.overflowed();
    overflowed[2] += shard->latency_.overflowed();
  }

  std::string out;
  AppendFamily(out, "llm_edge_requests_total", "counter", "Requests finished, by how they ended.");
  for (const auto& [key, c] : usage) {
    const std::string labels = Labels(kUsageLabels, key);
    for (size_t i = 0; i < c.requests.size(); ++i) {
      if (c.requests[i] == 0) continue;
      AppendSample(out, "llm_edge_requests_total",
                   labels + ",outcome=\"" + std::string(kOutcomeNames[i]) + "\"", c.requests[i]);
    }
  }
  AppendFamily(out, "llm_edge_tokens_total", "counter",
               "Tokens billed; estimated=\"true\" where the provider did not report them "
               "(streams cut short).");
  for (const auto& [key, c] : usage) {
    const std::string labels = Labels(kUsageLabels, key);
    for (size_t e = 0; e < 2; ++e) {
      for (size_t t = 0; t < kTokenTypes.size(); ++t) {
        if (c.tokens[e][t] == 0) continue;
        AppendSample(out, "llm_edge_tokens_total",
                     labels + ",type=\"" + std::string(kTokenTypes[t]) + "\",estimated=\"" +
                         (e == 1 ? "true" : "false") + "\"",
                     c.tokens[e][t]);
      }
    }
  }
  AppendFamily(out, "llm_edge_cost_micro_usd_total", "counter",
               "Cost billed by the ledger, in micro-dollars.");
  for (const auto& [key, c] : usage) {
    if (c.cost_micros == 0) continue;
    AppendSample(out, "llm_edge_cost_micro_usd_total", Labels(kUsageLabels, key), c.cost_micros);
  }
  AppendFamily(out, "llm_edge_responses_total", "counter",
               "Requests answered on the client listener, by HTTP status (\"none\": the client "
               "left before an answer) and the caller's jurisdiction.");
  for (const auto& [key, n] : responses) {
    AppendSample(out, "llm_edge_responses_total", Labels(kResponseLabels, key), n);
  }

  AppendFamily(out, "llm_edge_request_duration_seconds", "histogram",
               "From the request's first byte to its end (the last byte sent, or the client "
               "gone).");
  for (const auto& [key, h] : latency) {
    AppendHistogramSum(out, "llm_edge_request_duration_seconds", Labels(kLatencyLabels, key),
                       kDurationBoundsUs, h.total, 1e6);
  }
  AppendFamily(out, "llm_edge_time_to_first_byte_seconds", "histogram",
               "From the request's first byte to its answer's head sent (streams: before the "
               "first content).");
  for (const auto& [key, h] : latency) {
    AppendHistogramSum(out, "llm_edge_time_to_first_byte_seconds", Labels(kLatencyLabels, key),
                       kDurationBoundsUs, h.first_byte, 1e6);
  }
  AppendFamily(out, "llm_edge_overhead_seconds", "histogram",
               "The node's own time per answered request, upstream waits excluded: the value "
               "of X-Edge-Overhead-Us.");
  for (const auto& [key, h] : latency) {
    AppendHistogramSum(out, "llm_edge_overhead_seconds", Labels(kLatencyLabels, key),
                       kOverheadBoundsUs, h.overhead, 1e6);
  }
  AppendFamily(out, "llm_edge_request_attempts", "histogram",
               "Upstream attempts per request, retries and fallbacks included.");
  for (const auto& [key, h] : latency) {
    AppendHistogramSum(out, "llm_edge_request_attempts", Labels(kLatencyLabels, key),
                       kAttemptBounds, h.attempts, 1);
  }

  AppendFamily(out, "llm_edge_ledger_commit_seconds", "histogram",
               "From a request's end to its ledger record written (in the WAL) and known to "
               "its worker: the ledger's write lag.");
  AppendHistogramSum(out, "llm_edge_ledger_commit_seconds", "", kCommitBoundsUs, commit, 1e6);
  AppendFamily(out, "llm_edge_ledger_pending_records", "gauge",
               "Request records handed to the ledger writer and not yet written.");
  out.append("llm_edge_ledger_pending_records ")
      .append(std::to_string(submitted >= committed ? submitted - committed : 0))
      .push_back('\n');

  AppendFamily(out, "llm_edge_metric_series_overflow_total", "counter",
               "Observations counted in a family's _overflow series because its worker already "
               "kept the most label sets it keeps.");
  constexpr std::array<std::string_view, 3> kFamilies = {"usage", "responses", "latency"};
  for (size_t i = 0; i < kFamilies.size(); ++i) {
    AppendSample(out, "llm_edge_metric_series_overflow_total",
                 "family=\"" + std::string(kFamilies[i]) + "\"", overflowed[i]);
  }
  return out;
}

}  // namespace edge::runtime
