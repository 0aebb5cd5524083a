#include "config/reader.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace edge::config {

namespace {

constexpr std::string_view kEnvPrefix = "os.environ/";

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out.append(s.substr(0, 80));
  if (s.size() > 80) out += "...";
  out += "'";
  return out;
}

// The scalar text of n with os.environ/NAME resolved; nullopt after recording an error.
std::optional<std::string> ScalarText(Errors& e, const YamlNode& n, const std::string& path,
                                      std::string_view what) {
  if (!n.is_scalar()) {
    e.Add(n.line, path, "must be " + std::string(what));
    return std::nullopt;
  }
  std::string_view s = n.scalar;
  if (s.substr(0, kEnvPrefix.size()) != kEnvPrefix) return n.scalar;
  std::string name(s.substr(kEnvPrefix.size()));
  if (name.empty()) {
    e.Add(n.line, path, "os.environ/ needs a variable name");
    return std::nullopt;
  }
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    e.Add(n.line, path, "environment variable " + name + " is not set");
    return std::nullopt;
  }
  return std::string(value);
}

// YAML 1.1 allows '_' between digits (1_000_000); PyYAML reads it, so LiteLLM configs have it.
std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

}  // namespace

int SourceMap::Add(std::string file, int lines) {
  int base = next_;
  files_.push_back(File{base, std::move(file)});
  // Line L of this file is base + L for L >= 1; the next file starts after its last line.
  next_ = base + std::max(lines, 1) + 1;
  return base;
}

SourceMap::Where SourceMap::Resolve(int location) const {
  static const std::string kNone;
  if (files_.empty()) return {&kNone, location};
  // The last file whose base is below the location (location 0: the first file, no line).
  size_t i = 0;
  while (i + 1 < files_.size() && files_[i + 1].base < location) ++i;
  return {&files_[i].name, location - files_[i].base};
}

Errors::Errors(std::string file, std::vector<ConfigError>* out)
    : map_(&own_), out_(out), first_(out ? out->size() : 0) {
  own_.Add(std::move(file), std::numeric_limits<int>::max() / 2);
}

void Errors::Add(int location, std::string key_path, std::string message) {
  ++count_;
  if (out_ == nullptr) return;
  SourceMap::Where where = map_->Resolve(location);
  out_->push_back(ConfigError{*where.file, where.line, std::move(key_path), std::move(message)});
  locations_.push_back(location);
}

void Errors::SortByLocation() {
  if (out_ == nullptr) return;
  std::vector<size_t> order(locations_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return locations_[a] < locations_[b]; });
  std::vector<ConfigError> sorted;
  std::vector<int> locations;
  for (size_t i : order) {
    sorted.push_back(std::move((*out_)[first_ + i]));
    locations.push_back(locations_[i]);
  }
  std::move(sorted.begin(), sorted.end(), out_->begin() + static_cast<long>(first_));
  locations_ = std::move(locations);
}

std::string JoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string JoinPath(std::string_view path, size_t index) {
  return JoinPath(path, std::to_string(index));
}

bool ParseBoolWord(std::string_view s, bool* value) {
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                               "YES",  "on",   "On",   "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No",
                                                "NO",    "off",   "Off",   "OFF"};
  for (std::string_view w : kTrue) {
    if (s == w) return *value = true, true;
  }
  for (std::string_view w : kFalse) {
    if (s == w) return *value = false, true;
  }
  return false;
}

std::optional<std::string> ReadString(Errors& e, const YamlNode& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  return ScalarText(e, n, path, "a string");
}

std::optional<bool> ReadBool(Errors& e, const YamlNode& n, const std::string& path) {
  if (n.is_null()) return std::nullopt;
  auto text = ScalarText(e, n, path, "true or false");
  if (!text) return std::nullopt;
  bool v = false;
  if (!ParseBoolWord(*text, &v)) {
    e.Add(n.line, path, "must be true or false, not " + Quoted(*text));
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> ReadInt(Errors& e, const YamlNode& n, const std::string& path, int64_t min,
                               int64_t max) {
  if (n.is_null()) return std::nullopt;
  auto text = ScalarText(e, n, path, "an integer");
  if (!text) return std::nullopt;
  std::string digits = WithoutUnderscores(*text);
  const char* begin = digits.data();
  const char* end = begin + digits.size();
  if (begin != end && *begin == '+') ++begin;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range)
    v = begin != end && *begin == '-' ? INT64_MIN : INT64_MAX;
  bool parsed =
      (ec == std::errc() || ec == std::errc::result_out_of_range) && ptr == end && begin != end;
  if (!parsed) {
    e.Add(n.line, path, "must be an integer, not " + Quoted(*text));
    return std::nullopt;
  }
  if (v < min) {
    e.Add(n.line, path, min == 1 ? "must be > 0" : "must be >= " + std::to_string(min));
    return std::nullopt;
  }
  if (v > max) {
    e.Add(n.line, path, "must be <= " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<double> ReadDouble(Errors& e, const YamlNode& n, const std::string& path, double min,
                                 bool exclusive) {
  if (n.is_null()) return std::nullopt;
  auto text = ScalarText(e, n, path, "a number");
  if (!text) return std::nullopt;
  std::string digits = WithoutUnderscores(*text);
  const char* begin = digits.data();
  const char* end = begin + digits.size();
  if (begin != end && *begin == '+') ++begin;
  double v = 0;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || begin == end || !std::isfinite(v)) {
    e.Add(n.line, path, "must be a number, not " + Quoted(*text));
    return std::nullopt;
  }
  if (v < min || (exclusive && v == min)) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", min);
    e.Add(n.line, path, std::string("must be ") + (exclusive ? "> " : ">= ") + bound);
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::string>> ReadStringList(Errors& e, const YamlNode& n,
                                                       const std::string& path) {
  std::vector<std::string> out;
  if (n.is_null()) return out;
  if (!n.is_seq()) {
    e.Add(n.line, path, "must be a list");
    return std::nullopt;
  }
  bool ok = true;
  for (size_t i = 0; i < n.items.size(); ++i) {
    auto s = ReadString(e, n.items[i], JoinPath(path, i));
    if (s) {
      out.push_back(std::move(*s));
    } else {
      if (n.items[i].is_null()) e.Add(n.items[i].line, JoinPath(path, i), "must not be empty");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

MapReader::MapReader(Errors& e, const YamlNode* node, std::string path, int line)
    : e_(e), node_(nullptr), path_(std::move(path)), line_(line) {
  if (node == nullptr || node->is_null()) return;
  line_ = node->line;
  if (!node->is_map()) {
    e_.Add(node->line, path_, "must be a mapping");
    return;
  }
  node_ = node;
}

int MapReader::LineOf(std::string_view key) const {
  const YamlNode* n = node_ ? node_->Find(key) : nullptr;
  return n ? n->line : line_;
}

const YamlNode* MapReader::Get(std::string_view key) {
  if (known_.emplace(key).second) e_.SawKey(PathOf(key));
  if (node_ == nullptr) return nullptr;
  const YamlNode* n = node_->Find(key);
  return n == nullptr || n->is_null() ? nullptr : n;
}

bool MapReader::Require(std::string_view key) {
  if (Get(key) != nullptr) return true;
  e_.Add(LineOf(key), PathOf(key), "is required");
  return false;
}

bool MapReader::String(std::string_view key, std::string* out) {
  const YamlNode* n = Get(key);
  if (n == nullptr) return false;
  auto v = ReadString(e_, *n, PathOf(key));
  if (v) *out = std::move(*v);
  return v.has_value();
}

bool MapReader::Bool(std::string_view key, bool* out) {
  const YamlNode* n = Get(key);
  if (n == nullptr) return false;
  auto v = ReadBool(e_, *n, PathOf(key));
  if (v) *out = *v;
  return v.has_value();
}

bool MapReader::Double(std::string_view key, double min, bool exclusive, double* out) {
  const YamlNode* n = Get(key);
  if (n == nullptr) return false;
  auto v = ReadDouble(e_, *n, PathOf(key), min, exclusive);
  if (v) *out = *v;
  return v.has_value();
}

bool MapReader::Double(std::string_view key, double min, bool exclusive,
                       std::optional<double>* out) {
  double v = 0;
  if (!Double(key, min, exclusive, &v)) return false;
  *out = v;
  return true;
}

bool MapReader::StringList(std::string_view key, std::vector<std::string>* out) {
  const YamlNode* n = Get(key);
  if (n == nullptr) return false;
  auto v = ReadStringList(e_, *n, PathOf(key));
  if (v) *out = std::move(*v);
  return v.has_value();
}

bool MapReader::StringList(
    std::string_view key, std::vector<std::string>* out,
    const std::function<bool(const std::string&, int, const std::string&)>& check) {
  const YamlNode* n = Get(key);
  if (n == nullptr) return false;
  auto v = ReadStringList(e_, *n, PathOf(key));
  if (!v) return false;
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    std::string item_path = JoinPath(PathOf(key), i);
    if (check((*v)[i], n->items[i].line, item_path)) out->push_back(std::move((*v)[i]));
  }
  return true;
}

bool MapReader::Enum(std::string_view key, std::initializer_list<std::string_view> allowed,
                     std::string* out) {
  std::string v;
  if (!String(key, &v)) return false;
  for (std::string_view a : allowed) {
    if (v == a) {
      *out = std::move(v);
      return true;
    }
  }
  std::string list;
  for (std::string_view a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  e_.Add(LineOf(key), PathOf(key), "must be one of: " + list + " (not " + Quoted(v) + ")");
  return false;
}

void MapReader::RejectUnknown() {
  if (node_ == nullptr) return;
  for (const YamlEntry& entry : node_->entries) {
    if (known_.find(entry.key) == known_.end()) {
      e_.Add(entry.key_line, PathOf(entry.key), "unknown key");
    }
  }
}

bool CheckReadableFile(Errors& e, const std::string& file, int line, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    e.Add(line, path, "file not found: " + file);
    return false;
  }
  if (::access(file.c_str(), R_OK) != 0) {
    e.Add(line, path, "file not readable: " + file);
    return false;
  }
  return true;
}

bool IsHeaderSafe(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace edge::config
