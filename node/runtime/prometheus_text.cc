#include "node/runtime/prometheus_text.h"

#include <charconv>
#include <cstdio>

namespace edge::runtime {
namespace {

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, end);
}

// A bound or sum in the exposition's unit: the shortest text that reads back as the value.
void AppendScaled(std::string& out, double v) {
  char buf[400];  // fixed notation of any double fits
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out.append(buf, end);
}

void AppendSeries(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view labels, std::string_view le) {
  out.append(name).append(suffix);
  if (labels.empty() && le.empty()) {
    out.push_back(' ');
    return;
  }
  out.push_back('{');
  out.append(labels);
  if (!le.empty()) {
    if (!labels.empty()) out.push_back(',');
    out.append("le=\"").append(le).push_back('"');
  }
  out.append("} ");
}

}  // namespace

void AppendLabelValue(std::string& out, std::string_view value) {
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

void AppendFamily(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out.append("# HELP ").append(name).push_back(' ');
  out.append(help).push_back('\n');
  out.append("# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

void AppendHistogram(std::string& out, std::string_view name, std::string_view labels,
                     std::span<const int64_t> bounds, std::span<const uint64_t> buckets,
                     uint64_t sum, double scale) {
  uint64_t cumulative = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    cumulative += buckets[b];
    std::string le;
    if (b < bounds.size()) {
      AppendScaled(le, static_cast<double>(bounds[b]) / scale);
    } else {
      le = "+Inf";
    }
    AppendSeries(out, name, "_bucket", labels, le);
    AppendNumber(out, cumulative);
    out.push_back('\n');
  }
  AppendSeries(out, name, "_sum", labels, {});
  AppendScaled(out, static_cast<double>(sum) / scale);
  out.push_back('\n');
  AppendSeries(out, name, "_count", labels, {});
  AppendNumber(out, cumulative);
  out.push_back('\n');
}

}  // namespace edge::runtime
