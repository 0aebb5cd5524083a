#pragma once

// A strict reader of Prometheus' text exposition format (version 0.0.4), for tests that
// check a node's GET /metrics: it refuses what a Prometheus server would refuse and more,
// so that a test fails on output a scraper would choke on or misread.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
//
// Checked: metric and label names; label values' escapes (\\ \" \n only); values (floats,
// NaN, +Inf, -Inf) and optional integer timestamps; every family has one HELP and one TYPE
// line before its samples, and its samples are not interleaved with another family's; no
// series twice; a label name once per series; counters not negative; histograms: per label set
// _bucket lines in ascending `le` order with cumulative (non-decreasing) counts, a +Inf bucket
// equal to _count, and a _sum; summaries: _sum and _count per label set.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace edge::e2e {

struct PromSample {
  std::string name;                           // as written: x_bucket, x_sum, x_count...
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct PromFamily {
  std::string name, type, help;  // help unescaped
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::string error;  // empty when the text is valid; else "line N: why"
  std::map<std::string, PromFamily> families;

  bool ok() const { return error.empty(); }
  // The sum of the samples named `name` whose labels include every pair of `match`
  // (0 when none does); Count() the number of such samples.
  double Sum(const std::string& name, const std::map<std::string, std::string>& match = {}) const;
  size_t Count(const std::string& name, const std::map<std::string, std::string>& match = {}) const;
  // The samples named `name` whose labels include `match`.
  std::vector<const PromSample*> Find(const std::string& name,
                                      const std::map<std::string, std::string>& match = {}) const;
};

PromExposition ParsePrometheus(std::string_view text);

}  // namespace edge::e2e
