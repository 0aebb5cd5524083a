// The strict Prometheus text reader that the metrics tests rely on (harness/prometheus.h):
// it must accept the format's valid forms and refuse each kind of malformed exposition,
// or the tests built on it could pass on output a scraper would reject.

#include <gtest/gtest.h>

#include "tests/e2e/harness/prometheus.h"

namespace edge::e2e {
namespace {

const char kValid[] =
    "# A comment line.\n"
    "# HELP http_requests_total Requests, with a \\\\ and a \\n in the help.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
    "http_requests_total{method=\"post\",code=\"400\",} 3\n"
    "\n"
    "# HELP msdos_file_access_time_seconds Escapes.\n"
    "# TYPE msdos_file_access_time_seconds gauge\n"
    "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
    "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
    "# HELP temp Any float.\n"
    "# TYPE temp gauge\n"
    "temp NaN\n"
    "temp{where=\"out\"} -Inf\n"
    "# HELP lat_seconds A histogram.\n"
    "# TYPE lat_seconds histogram\n"
    "lat_seconds_bucket{le=\"0.05\"} 24054\n"
    "lat_seconds_bucket{le=\"0.1\"} 33444\n"
    "lat_seconds_bucket{le=\"+Inf\"} 144320\n"
    "lat_seconds_sum 53423\n"
    "lat_seconds_count 144320\n"
    "# HELP rpc_seconds A summary.\n"
    "# TYPE rpc_seconds summary\n"
    "rpc_seconds{quantile=\"0.5\"} 4773\n"
    "rpc_seconds_sum 1.7560473e+07\n"
    "rpc_seconds_count 2693\n";

TEST(PrometheusParser, ReadsTheSpecExamples) {
  PromExposition e = ParsePrometheus(kValid);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.families.size(), 5u);
  EXPECT_EQ(e.families.at("http_requests_total").help, "Requests, with a \\ and a \n in the help.");
  EXPECT_EQ(e.Sum("http_requests_total"), 1030);
  EXPECT_EQ(e.Sum("http_requests_total", {{"code", "400"}}), 3);
  auto file = e.Find("msdos_file_access_time_seconds");
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0]->labels.at("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(file[0]->labels.at("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(e.Sum("lat_seconds_bucket", {{"le", "0.1"}}), 33444);
}

// Each case breaks one rule of the format.
TEST(PrometheusParser, RefusesMalformedExpositions) {
  const std::string head = "# HELP x_total X.\n# TYPE x_total counter\n";
  const std::string hist = "# HELP h H.\n# TYPE h histogram\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"no HELP", "# TYPE x_total counter\nx_total 1\n"},
      {"no TYPE", "# HELP x_total X.\nx_total 1\n"},
      {"unknown type", "# HELP x X.\n# TYPE x countr\nx 1\n"},
      {"two TYPEs", head + "# TYPE x_total counter\nx_total 1\n"},
      {"TYPE after samples", "# HELP x X.\nx 1\n# TYPE x gauge\n"},
      {"no final newline", head + "x_total 1"},
      {"bad metric name", head + "x-total 1\n"},
      {"bad label name", head + "x_total{1a=\"v\"} 1\n"},
      {"unknown escape", head + "x_total{a=\"\\t\"} 1\n"},
      {"unterminated value", head + "x_total{a=\"v} 1\n"},
      {"labels not closed", head + "x_total{a=\"v\" 1\n"},
      {"label twice", head + "x_total{a=\"v\",a=\"w\"} 1\n"},
      {"no value", head + "x_total{a=\"v\"}\n"},
      {"bad value", head + "x_total 1,5\n"},
      {"hex value", head + "x_total 0x10\n"},
      {"bad timestamp", head + "x_total 1 12.5\n"},
      {"trailing text", head + "x_total 1 12 extra\n"},
      {"negative counter", head + "x_total -1\n"},
      {"series twice", head + "x_total{a=\"v\"} 1\nx_total{a=\"v\"} 2\n"},
      {"sample of another family", head + "y_total 1\n"},
      {"family interleaved",
       head + "x_total 1\n# HELP y Y.\n# TYPE y gauge\ny 1\nx_total{a=\"b\"} 1\n"},
      {"family declared twice", head + "x_total 1\n# HELP y Y.\n# TYPE y gauge\ny 1\n" + head},
      {"bucket without le", hist + "h_bucket 1\nh_sum 1\nh_count 1\n"},
      {"no +Inf bucket", hist + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"},
      {"+Inf differs from count", hist + "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"},
      {"le not ascending",
       hist + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
              "h_count 1\n"},
      {"not cumulative",
       hist + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
      {"no sum", hist + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n"},
      {"no count", hist + "h_bucket{le=\"+Inf\"} 1\nh_sum 1\n"},
      {"bare histogram sample", hist + "h 1\n"},
      {"bad le", hist + "h_bucket{le=\"x\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
  };
  ASSERT_TRUE(ParsePrometheus(head + "x_total 1\n").ok());
  for (const auto& [why, text] : bad) {
    PromExposition e = ParsePrometheus(text);
    EXPECT_FALSE(e.ok()) << why << " was accepted:\n" << text;
  }
}

}  // namespace
}  // namespace edge::e2e
