#include "node/runtime/usage_metrics.h"

#include <gtest/gtest.h>

namespace edge::runtime {
namespace {

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
  RequestRecord r{"search", "chat", "prod", "gpt", "gpt-eu", Outcome::kOk, &reported};
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
  metrics.shard(0).Record({"a\"b", "c\\d", "e\nf", "", "", Outcome::kError, nullptr});
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
    metrics.shard(0).Record({team, "", "", "m", "d", Outcome::kOk, nullptr});
  }
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(
      text.find("team=\"_overflow\",feature=\"_overflow\",env=\"_overflow\",model=\"_overflow\","
                "deployment=\"_overflow\",outcome=\"ok\"} 5\n"),
      std::string::npos);
  EXPECT_EQ(text.find("team=\"team-" + std::to_string(UsageMetrics::kMaxSeries) + "\""),
            std::string::npos);
}

TEST(UsageMetrics, LongLabelValuesAreCut) {
  // A label value is kept for the life of the process and sent on every scrape: however
  // long a value reaches Record, a series holds at most kMaxLabelBytes of it.
  UsageMetrics metrics(1);
  const std::string huge(1 << 20, 'm');
  // 255 ASCII bytes then a 3-byte character across the cut: the character goes whole.
  const std::string split = std::string(UsageMetrics::kMaxLabelBytes - 1, 'd') + "\xe2\x82\xac";
  metrics.shard(0).Record({"t", "f", "e", huge, split, Outcome::kOk, nullptr});
  metrics.shard(0).Record({"t", "f", "e", huge + "other", split, Outcome::kOk, nullptr});
  const std::string text = metrics.RenderPrometheus();
  EXPECT_LT(text.size(), 8u * UsageMetrics::kMaxLabelBytes) << text.size();
  const std::string model = "model=\"" + std::string(UsageMetrics::kMaxLabelBytes, 'm') + "\"";
  const std::string deployment =
      "deployment=\"" + std::string(UsageMetrics::kMaxLabelBytes - 1, 'd') + "\"";
  EXPECT_NE(text.find(model + "," + deployment + ",outcome=\"ok\"} 2\n"), std::string::npos);
}

}  // namespace
}  // namespace edge::runtime
