#include "node/runtime/usage_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

namespace edge::runtime {
namespace {

RequestRecord Rec(std::string_view team, std::string_view feature, std::string_view env,
                  std::string_view model, std::string_view deployment, Outcome outcome,
                  const providers::Usage* usage) {
  RequestRecord r;
  r.team = team;
  r.feature = feature;
  r.env = env;
  r.model = model;
  r.deployment = deployment;
  r.outcome = outcome;
  r.usage = usage;
  return r;
}

// The value of the sample line that starts with `series` ("name{labels}"), or -1.
double Sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

providers::Usage MakeUsage(int64_t in, int64_t out, int64_t cached, bool reported) {
  providers::Usage u;
  u.input_tokens = in;
  u.output_tokens = out;
  u.cached_input_tokens = cached;
  u.reported = reported;
  return u;
}

TEST(UsageMetrics, SumsShardsPerSeriesAndSeparatesEstimates) {
  UsageMetrics metrics(2);
  providers::Usage reported = MakeUsage(10, 5, 2, true);
  providers::Usage estimated = MakeUsage(7, 3, 0, false);
  RequestRecord r = Rec("search", "chat", "prod", "gpt", "gpt-eu", Outcome::kOk, &reported);
  metrics.shard(0).Record(r);
  metrics.shard(1).Record(r);
  r.outcome = Outcome::kCancelled;
  r.usage = &estimated;
  metrics.shard(1).Record(r);
  r.outcome = Outcome::kRejected;
  r.usage = nullptr;
  metrics.shard(0).Record(r);

  const std::string text = metrics.RenderPrometheus();
  const std::string labels =
      "{team=\"search\",feature=\"chat\",env=\"prod\",model=\"gpt\",deployment=\"gpt-eu\"";
  EXPECT_NE(text.find("llm_edge_requests_total" + labels + ",outcome=\"ok\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("llm_edge_requests_total" + labels + ",outcome=\"cancelled\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("llm_edge_requests_total" + labels + ",outcome=\"rejected\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("llm_edge_tokens_total" + labels + ",type=\"input\",estimated=\"false\"} 20\n"),
      std::string::npos);
  EXPECT_NE(text.find("llm_edge_tokens_total" + labels +
                      ",type=\"cached_input\",estimated=\"false\"} 4\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("llm_edge_tokens_total" + labels + ",type=\"output\",estimated=\"true\"} 3\n"),
      std::string::npos);
  EXPECT_EQ(text.find("outcome=\"timeout\""), std::string::npos);  // zero counts are left out
  EXPECT_NE(text.find("# TYPE llm_edge_tokens_total counter"), std::string::npos);
}

TEST(UsageMetrics, EscapesLabelValues) {
  UsageMetrics metrics(1);
  metrics.shard(0).Record(Rec("a\"b", "c\\d", "e\nf", "", "", Outcome::kError, nullptr));
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(
      text.find(
          R"({team="a\"b",feature="c\\d",env="e\nf",model="",deployment="",outcome="error"} 1)"),
      std::string::npos)
      << text;
}

TEST(UsageMetrics, SeriesBeyondTheCapShareOneOverflowSeries) {
  UsageMetrics metrics(1);
  for (size_t i = 0; i < UsageMetrics::kMaxSeries + 5; ++i) {
    std::string team = "team-" + std::to_string(i);
    metrics.shard(0).Record(Rec(team, "", "", "m", "d", Outcome::kOk, nullptr));
  }
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(
      text.find("team=\"_overflow\",feature=\"_overflow\",env=\"_overflow\",model=\"_overflow\","
                "deployment=\"_overflow\",outcome=\"ok\"} 5\n"),
      std::string::npos);
  EXPECT_EQ(text.find("team=\"team-" + std::to_string(UsageMetrics::kMaxSeries) + "\""),
            std::string::npos);
  EXPECT_EQ(Sample(text, "llm_edge_metric_series_overflow_total{family=\"usage\"}"), 5);
  EXPECT_EQ(Sample(text, "llm_edge_metric_series_overflow_total{family=\"latency\"}"), 0);
}

TEST(UsageMetrics, LongLabelValuesAreCut) {
  // A label value is kept for the life of the process and sent on every scrape: however
  // long a value reaches Record, a series holds at most kMaxLabelBytes of it.
  UsageMetrics metrics(1);
  const std::string huge(1 << 20, 'm');
  // 255 ASCII bytes then a 3-byte character across the cut: the character goes whole.
  const std::string split = std::string(UsageMetrics::kMaxLabelBytes - 1, 'd') + "\xe2\x82\xac";
  metrics.shard(0).Record(Rec("t", "f", "e", huge, split, Outcome::kOk, nullptr));
  metrics.shard(0).Record(Rec("t", "f", "e", huge + "other", split, Outcome::kOk, nullptr));
  const std::string text = metrics.RenderPrometheus();
  // One series per family: the histograms repeat the model label on each of their lines.
  EXPECT_LT(text.size(), 100u * UsageMetrics::kMaxLabelBytes) << text.size();
  EXPECT_EQ(text.find(std::string(UsageMetrics::kMaxLabelBytes + 1, 'm')), std::string::npos);
  const std::string model = "model=\"" + std::string(UsageMetrics::kMaxLabelBytes, 'm') + "\"";
  const std::string deployment =
      "deployment=\"" + std::string(UsageMetrics::kMaxLabelBytes - 1, 'd') + "\"";
  EXPECT_NE(text.find(model + "," + deployment + ",outcome=\"ok\"} 2\n"), std::string::npos);
}

TEST(UsageMetrics, StatusJurisdictionAndLatencies) {
  UsageMetrics metrics(2);
  RequestRecord r = Rec("t", "", "", "chat", "dep-1", Outcome::kOk, nullptr);
  r.jurisdiction = "EU";
  r.status = 200;
  r.attempts = 2;
  r.total_us = 30'000;      // in (0.025, 0.05]
  r.first_byte_us = 4'000;  // in [0, 0.005]
  r.overhead_us = 120;      // in (0.0001, 0.00025]
  metrics.shard(0).Record(r);
  r.status = 429;
  r.attempts = 0;
  r.total_us = 7'000'000;  // in (5, 10]
  r.first_byte_us = 6'000'000;
  r.overhead_us = -1;  // not measured: not observed
  metrics.shard(1).Record(r);
  r.status = 0;  // the client left before an answer
  r.jurisdiction = "";
  r.first_byte_us = -1;
  metrics.shard(1).Record(r);

  const std::string text = metrics.RenderPrometheus();
  const std::string resp = "llm_edge_responses_total{model=\"chat\",deployment=\"dep-1\",";
  EXPECT_EQ(Sample(text, resp + "jurisdiction=\"EU\",status=\"200\"}"), 1) << text;
  EXPECT_EQ(Sample(text, resp + "jurisdiction=\"EU\",status=\"429\"}"), 1);
  EXPECT_EQ(Sample(text, resp + "jurisdiction=\"none\",status=\"none\"}"), 1);

  const std::string d = "llm_edge_request_duration_seconds";
  EXPECT_EQ(Sample(text, d + "_bucket{model=\"chat\",le=\"0.025\"}"), 0);
  EXPECT_EQ(Sample(text, d + "_bucket{model=\"chat\",le=\"0.05\"}"), 1);
  EXPECT_EQ(Sample(text, d + "_bucket{model=\"chat\",le=\"5\"}"), 1);
  EXPECT_EQ(Sample(text, d + "_bucket{model=\"chat\",le=\"10\"}"), 3);
  EXPECT_EQ(Sample(text, d + "_bucket{model=\"chat\",le=\"+Inf\"}"), 3);
  EXPECT_EQ(Sample(text, d + "_count{model=\"chat\"}"), 3);
  EXPECT_DOUBLE_EQ(Sample(text, d + "_sum{model=\"chat\"}"), 14.03);
  const std::string f = "llm_edge_time_to_first_byte_seconds";
  EXPECT_EQ(Sample(text, f + "_bucket{model=\"chat\",le=\"0.005\"}"), 1);
  EXPECT_EQ(Sample(text, f + "_count{model=\"chat\"}"), 2);
  const std::string o = "llm_edge_overhead_seconds";
  EXPECT_EQ(Sample(text, o + "_bucket{model=\"chat\",le=\"0.0001\"}"), 0);
  EXPECT_EQ(Sample(text, o + "_bucket{model=\"chat\",le=\"0.00025\"}"), 1);
  EXPECT_EQ(Sample(text, o + "_count{model=\"chat\"}"), 1);
  const std::string a = "llm_edge_request_attempts";
  EXPECT_EQ(Sample(text, a + "_bucket{model=\"chat\",le=\"0\"}"), 2);
  EXPECT_EQ(Sample(text, a + "_bucket{model=\"chat\",le=\"2\"}"), 3);
  EXPECT_EQ(Sample(text, a + "_sum{model=\"chat\"}"), 2);
  EXPECT_NE(text.find("# TYPE " + d + " histogram\n"), std::string::npos);
}

TEST(UsageMetrics, LedgerCommitLagAndPendingRecords) {
  UsageMetrics metrics(2);
  metrics.shard(0).LedgerSubmitted();
  metrics.shard(0).LedgerSubmitted();
  metrics.shard(1).LedgerSubmitted();
  metrics.shard(0).LedgerCommitted(800);  // in (0.0005, 0.001]
  const std::string text = metrics.RenderPrometheus();
  EXPECT_EQ(Sample(text, "llm_edge_ledger_pending_records"), 2) << text;
  EXPECT_EQ(Sample(text, "llm_edge_ledger_commit_seconds_bucket{le=\"0.0005\"}"), 0);
  EXPECT_EQ(Sample(text, "llm_edge_ledger_commit_seconds_bucket{le=\"0.001\"}"), 1);
  EXPECT_EQ(Sample(text, "llm_edge_ledger_commit_seconds_count"), 1);
}

// A scrape reads while the worker writes, without a lock: every scrape sees each series
// whole, counters that never go back, and histograms whose +Inf bucket equals their count.
TEST(UsageMetrics, ScrapesWhileAWorkerRecords) {
  UsageMetrics metrics(1);
  constexpr int kRequests = 200'000;
  std::atomic<bool> done{false};
  std::thread worker([&] {
    for (int i = 0; i < kRequests; ++i) {
      // New label sets keep appearing while the scrapes read (blocks are added).
      std::string team = "team-" + std::to_string(i % 3000);
      RequestRecord r = Rec(team, "f", "e", "m", "d", Outcome::kOk, nullptr);
      r.status = 200;
      r.total_us = i;
      metrics.shard(0).Record(r);
    }
    done = true;
  });
  const std::regex count_re("llm_edge_request_duration_seconds_count\\{model=\"m\"\\} ([0-9]+)");
  const std::regex inf_re(
      "llm_edge_request_duration_seconds_bucket\\{model=\"m\",le=\"\\+Inf\"\\} ([0-9]+)");
  long last = 0;
  int scrapes = 0;
  while (!done || scrapes == 0) {
    const std::string text = metrics.RenderPrometheus();
    std::smatch c, inf;
    if (std::regex_search(text, c, count_re)) {
      ASSERT_TRUE(std::regex_search(text, inf, inf_re));
      EXPECT_EQ(c[1], inf[1]);
      long n = std::stol(c[1]);
      EXPECT_GE(n, last);
      last = n;
    }
    ++scrapes;
  }
  worker.join();
  const std::string text = metrics.RenderPrometheus();
  EXPECT_EQ(Sample(text, "llm_edge_request_duration_seconds_count{model=\"m\"}"), kRequests);
  EXPECT_EQ(Sample(text,
                   "llm_edge_requests_total{team=\"team-7\",feature=\"f\",env=\"e\","
                   "model=\"m\",deployment=\"d\",outcome=\"ok\"}"),
            kRequests / 3000 + (7 < kRequests % 3000 ? 1 : 0));
}

}  // namespace
}  // namespace edge::runtime
