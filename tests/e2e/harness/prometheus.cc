#include "tests/e2e/harness/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>

namespace edge::e2e {
namespace {

bool IsNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool IsNameChar(char c, bool colon) { return IsNameStart(c, colon) || (c >= '0' && c <= '9'); }

// A metric name (colons allowed) or label name (no colons) at the front of `s`.
std::string TakeName(std::string_view& s, bool colon) {
  size_t n = 0;
  if (s.empty() || !IsNameStart(s[0], colon)) return {};
  while (n < s.size() && IsNameChar(s[n], colon)) ++n;
  std::string name(s.substr(0, n));
  s.remove_prefix(n);
  return name;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
void SkipBlanks(std::string_view& s) {
  while (!s.empty() && IsBlank(s[0])) s.remove_prefix(1);
}

// Go's ParseFloat as the format uses it: decimal floats, NaN, +Inf, -Inf.
bool ParseValue(std::string_view token, double* out) {
  static const std::regex kNumber(R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)");
  std::string t(token);
  if (t == "NaN") {
    *out = std::nan("");
    return true;
  }
  if (t == "+Inf" || t == "Inf") {
    *out = INFINITY;
    return true;
  }
  if (t == "-Inf") {
    *out = -INFINITY;
    return true;
  }
  if (!std::regex_match(t, kNumber)) return false;
  *out = std::strtod(t.c_str(), nullptr);
  return true;
}

bool ParseTimestamp(std::string_view token) {
  static const std::regex kInt(R"(-?[0-9]+)");
  return std::regex_match(std::string(token), kInt);
}

// Unescapes a label value (\\, \", \n) up to its closing quote; false on a bad escape,
// a raw newline or no closing quote.
bool TakeLabelValue(std::string_view& s, std::string* out) {
  if (s.empty() || s[0] != '"') return false;
  s.remove_prefix(1);
  while (!s.empty()) {
    char c = s[0];
    s.remove_prefix(1);
    if (c == '"') return true;
    if (c == '\n') return false;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (s.empty()) return false;
    char e = s[0];
    s.remove_prefix(1);
    if (e == '\\' || e == '"') {
      out->push_back(e);
    } else if (e == 'n') {
      out->push_back('\n');
    } else {
      return false;
    }
  }
  return false;
}

bool UnescapeHelp(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return false;
    if (s[i] == '\\') {
      out->push_back('\\');
    } else if (s[i] == 'n') {
      out->push_back('\n');
    } else {
      return false;
    }
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The family a sample named `name` belongs to, given the family being read.
bool BelongsTo(const PromFamily& f, const std::string& name) {
  if (name == f.name) return f.type != "histogram";
  for (std::string_view suffix : {"_sum", "_count"}) {
    if ((f.type == "histogram" || f.type == "summary") && name == f.name + std::string(suffix)) {
      return true;
    }
  }
  return f.type == "histogram" && name == f.name + "_bucket";
}

std::string CheckHistogram(const PromFamily& f) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // (le, cumulative count), as read
    const PromSample* sum = nullptr;
    const PromSample* count = nullptr;
  };
  std::map<std::map<std::string, std::string>, Series> by_labels;
  for (const PromSample& s : f.samples) {
    std::map<std::string, std::string> labels = s.labels;
    if (s.name == f.name + "_bucket") {
      auto le = labels.find("le");
      if (le == labels.end()) return f.name + "_bucket without an le label";
      double bound;
      if (!ParseValue(le->second, &bound) || std::isnan(bound)) {
        return f.name + "_bucket with le=\"" + le->second + "\"";
      }
      labels.erase(le);
      by_labels[labels].buckets.emplace_back(bound, s.value);
    } else if (labels.count("le") != 0) {
      return s.name + " carries an le label";
    } else if (EndsWith(s.name, "_sum")) {
      if (by_labels[labels].sum != nullptr) return s.name + " twice for one label set";
      by_labels[labels].sum = &s;
    } else {
      if (by_labels[labels].count != nullptr) return s.name + " twice for one label set";
      by_labels[labels].count = &s;
    }
  }
  for (const auto& [labels, series] : by_labels) {
    if (series.buckets.empty()) return f.name + ": _sum/_count without buckets";
    if (series.sum == nullptr) return f.name + ": buckets without _sum";
    if (series.count == nullptr) return f.name + ": buckets without _count";
    for (size_t i = 1; i < series.buckets.size(); ++i) {
      if (!(series.buckets[i].first > series.buckets[i - 1].first)) {
        return f.name + ": le bounds not in ascending order";
      }
      if (series.buckets[i].second < series.buckets[i - 1].second) {
        return f.name + ": bucket counts not cumulative";
      }
    }
    if (!std::isinf(series.buckets.back().first)) return f.name + ": no +Inf bucket";
    if (series.buckets.back().second != series.count->value) {
      return f.name + ": +Inf bucket differs from _count";
    }
    if (series.buckets.front().second < 0) return f.name + ": negative bucket count";
  }
  return "";
}

std::string CheckSummary(const PromFamily& f) {
  std::map<std::map<std::string, std::string>, int> parts;
  for (const PromSample& s : f.samples) {
    if (s.name == f.name) {
      if (s.labels.count("quantile") == 0) return f.name + " without a quantile label";
      continue;
    }
    parts[s.labels] |= EndsWith(s.name, "_sum") ? 1 : 2;
  }
  for (const auto& [labels, got] : parts) {
    if (got != 3) return f.name + ": _sum and _count do not come in pairs";
  }
  return "";
}

}  // namespace

PromExposition ParsePrometheus(std::string_view text) {
  PromExposition out;
  PromFamily* current = nullptr;
  std::set<std::string> closed;  // families whose lines ended
  std::set<std::pair<std::string, std::map<std::string, std::string>>> seen;
  int line_no = 0;
  auto fail = [&](const std::string& why) {
    out.error = "line " + std::to_string(line_no) + ": " + why;
    return out;
  };
  // Starts (or continues) the family `name` for a HELP or TYPE line.
  auto begin_family = [&](const std::string& name) -> PromFamily* {
    if (current != nullptr && current->name == name) return current;
    if (current != nullptr) closed.insert(current->name);
    if (closed.count(name) != 0 || out.families.count(name) != 0) return nullptr;
    current = &out.families[name];
    current->name = name;
    return current;
  };
  if (!text.empty() && text.back() != '\n') {
    line_no = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    return fail("the last line does not end with a newline");
  }
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    SkipBlanks(line);
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::string_view rest = line.substr(1);
      SkipBlanks(rest);
      bool help = rest.substr(0, 5) == "HELP ";
      bool type = rest.substr(0, 5) == "TYPE ";
      if (!help && !type) continue;  // a comment
      rest.remove_prefix(5);
      SkipBlanks(rest);
      std::string name = TakeName(rest, true);
      if (name.empty()) return fail("HELP/TYPE without a metric name");
      if (!rest.empty() && !IsBlank(rest[0])) return fail("bad metric name in HELP/TYPE");
      if (!rest.empty()) rest.remove_prefix(1);
      PromFamily* f = begin_family(name);
      if (f == nullptr) return fail("family " + name + " appears again after other families");
      if (!f->samples.empty()) return fail("HELP/TYPE of " + name + " after its samples");
      if (help) {
        if (!f->help.empty()) return fail("second HELP for " + name);
        if (!UnescapeHelp(rest, &f->help) || f->help.empty()) return fail("bad HELP for " + name);
      } else {
        if (!f->type.empty()) return fail("second TYPE for " + name);
        std::string t(rest);
        while (!t.empty() && IsBlank(t.back())) t.pop_back();
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (kTypes.count(t) == 0) return fail("unknown TYPE '" + t + "' for " + name);
        f->type = t;
      }
      continue;
    }
    PromSample sample;
    sample.name = TakeName(line, true);
    if (sample.name.empty()) return fail("a sample line without a metric name");
    if (!line.empty() && line[0] == '{') {
      line.remove_prefix(1);
      while (true) {
        if (!line.empty() && line[0] == '}') {
          line.remove_prefix(1);
          break;
        }
        std::string label = TakeName(line, false);
        if (label.empty()) return fail("bad label name in " + sample.name);
        if (line.empty() || line[0] != '=') return fail("label " + label + " without '='");
        line.remove_prefix(1);
        std::string value;
        if (!TakeLabelValue(line, &value)) return fail("bad value of label " + label);
        if (!sample.labels.emplace(label, value).second) return fail("label " + label + " twice");
        if (!line.empty() && line[0] == ',') {
          line.remove_prefix(1);
        } else if (line.empty() || line[0] != '}') {
          return fail("labels of " + sample.name + " not closed");
        }
      }
    }
    if (line.empty() || !IsBlank(line[0]))
      return fail("no blank before the value of " + sample.name);
    SkipBlanks(line);
    size_t end = 0;
    while (end < line.size() && !IsBlank(line[end])) ++end;
    if (!ParseValue(line.substr(0, end), &sample.value)) {
      return fail("bad value '" + std::string(line.substr(0, end)) + "' of " + sample.name);
    }
    line.remove_prefix(end);
    SkipBlanks(line);
    if (!line.empty()) {
      size_t ts_end = 0;
      while (ts_end < line.size() && !IsBlank(line[ts_end])) ++ts_end;
      if (!ParseTimestamp(line.substr(0, ts_end))) return fail("bad timestamp of " + sample.name);
      line.remove_prefix(ts_end);
      SkipBlanks(line);
      if (!line.empty()) return fail("text after the timestamp of " + sample.name);
    }
    if (current == nullptr || !BelongsTo(*current, sample.name)) {
      return fail("sample " + sample.name + " outside its family's HELP/TYPE block");
    }
    if (current->help.empty() || current->type.empty()) {
      return fail("family " + current->name + " needs both HELP and TYPE before its samples");
    }
    if (!seen.emplace(sample.name, sample.labels).second) {
      return fail("series " + sample.name + " appears twice");
    }
    if (current->type == "counter" && !(sample.value >= 0)) {
      return fail("counter " + sample.name + " is negative or NaN");
    }
    current->samples.push_back(std::move(sample));
  }
  line_no = 0;
  for (const auto& [name, f] : out.families) {
    if (f.help.empty() || f.type.empty()) return fail("family " + name + " lacks HELP or TYPE");
    std::string why = f.type == "histogram" ? CheckHistogram(f)
                      : f.type == "summary" ? CheckSummary(f)
                                            : "";
    if (!why.empty()) return fail(why);
  }
  return out;
}

std::vector<const PromSample*> PromExposition::Find(
    const std::string& name, const std::map<std::string, std::string>& match) const {
  std::vector<const PromSample*> found;
  for (const auto& [family_name, f] : families) {
    for (const PromSample& s : f.samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        all = all && it != s.labels.end() && it->second == v;
      }
      if (all) found.push_back(&s);
    }
  }
  return found;
}

double PromExposition::Sum(const std::string& name,
                           const std::map<std::string, std::string>& match) const {
  double sum = 0;
  for (const PromSample* s : Find(name, match)) sum += s->value;
  return sum;
}

size_t PromExposition::Count(const std::string& name,
                             const std::map<std::string, std::string>& match) const {
  return Find(name, match).size();
}

}  // namespace edge::e2e
