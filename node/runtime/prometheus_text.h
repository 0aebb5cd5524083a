#pragma once

// Writing Prometheus' text exposition format (version 0.0.4): metric families with their
// HELP and TYPE lines, label values escaped, histograms as cumulative _bucket lines.
// https://prometheus.io/docs/instrumenting/exposition_formats/

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace edge::runtime {

// `value` with \, " and newline escaped as the format wants inside a label value.
void AppendLabelValue(std::string& out, std::string_view value);

// "# HELP name help\n# TYPE name type\n". `help` must not hold a newline or backslash.
void AppendFamily(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help);

// Appends NAME_bucket{labels,le="..."} lines (cumulative, ending with +Inf), NAME_sum and
// NAME_count (the buckets' total, so it always equals the +Inf bucket). `labels` is
// `a="x",b="y"` already escaped, or empty. `buckets` holds one count per bound plus +Inf;
// bounds and sum are in the observed unit, shown divided by `scale` (1e6: microseconds
// as seconds).
void AppendHistogram(std::string& out, std::string_view name, std::string_view labels,
                     std::span<const int64_t> bounds, std::span<const uint64_t> buckets,
                     uint64_t sum, double scale);

}  // namespace edge::runtime
