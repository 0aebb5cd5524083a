#pragma once

// Typed, error-collecting reads over a YamlNode tree. Internal to config/.
//
// Every read records a problem in Errors and carries on, so one pass reports all of them.
// `os.environ/NAME` is resolved in every scalar read, whatever the target type, as LiteLLM
// does. An absent key and a null value (`key:` or `key: null`) both mean "not set".

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/tag.h"
#include "config/config.h"
#include "config/yaml_tree.h"

namespace edge::config {

// The lines of every file of one config (the file and what it includes) in one int space, as
// clang's SourceManager keeps one offset space for all buffers: file k's line L is the
// location base_k + L. Tree nodes, readers and Errors pass plain ints; only Errors turns a
// location back into FILE:LINE. The first file's base is 0, so for a config without includes a
// location is its line, and location 0 is "the first file, no line".
class SourceMap {
 public:
  // Registers `file`, whose text has `lines` lines; returns its base.
  int Add(std::string file, int lines);
  struct Where {
    const std::string* file;
    int line;
  };
  Where Resolve(int location) const;
  size_t size() const { return files_.size(); }

 private:
  struct File {
    int base;
    std::string name;
  };
  std::vector<File> files_;
  int next_ = 0;
};

// The problems found in one config (its file and the files it includes).
class Errors {
 public:
  // Problems in one file, with lines as locations.
  Errors(std::string file, std::vector<ConfigError>* out);
  // Problems in the files of `map`, which must outlive this.
  Errors(const SourceMap* map, std::vector<ConfigError>* out)
      : map_(map), out_(out), first_(out ? out->size() : 0) {}
  Errors(const Errors&) = delete;
  Errors& operator=(const Errors&) = delete;
  // `location` is a line of the first file, or a SourceMap location.
  void Add(int location, std::string key_path, std::string message);
  size_t count() const { return count_; }
  // Puts the problems added so far in file order (the first file, then each included file in
  // the order it was read), each file's by line: cross-reference checks run last.
  void SortByLocation();
  // Where each key the readers looked up is collected (LoadOptions::keys_seen); may be null.
  void set_keys_seen(std::set<std::string>* keys) { keys_seen_ = keys; }
  void SawKey(const std::string& path) {
    if (keys_seen_ != nullptr) keys_seen_->insert(path);
  }

 private:
  SourceMap own_;  // for the one-file constructor
  const SourceMap* map_;
  std::vector<ConfigError>* out_;
  size_t first_ = 0;
  std::vector<int> locations_;  // parallel to (*out_)[first_..]
  size_t count_ = 0;
  std::set<std::string>* keys_seen_ = nullptr;
};

// "a" + "b" -> "a.b"; "" + "b" -> "b"; "a" + 2 -> "a.2".
std::string JoinPath(std::string_view path, std::string_view key);
std::string JoinPath(std::string_view path, size_t index);

// Scalar reads of one node at `path`. nullopt when the node is null or wrong (then an error
// was recorded).
std::optional<std::string> ReadString(Errors& e, const YamlNode& n, const std::string& path);
std::optional<bool> ReadBool(Errors& e, const YamlNode& n, const std::string& path);
std::optional<int64_t> ReadInt(Errors& e, const YamlNode& n, const std::string& path, int64_t min,
                               int64_t max);
// Finite numbers >= min (> min when `exclusive`).
std::optional<double> ReadDouble(Errors& e, const YamlNode& n, const std::string& path, double min,
                                 bool exclusive);
// A list of strings; a null node is an empty list.
std::optional<std::vector<std::string>> ReadStringList(Errors& e, const YamlNode& n,
                                                       const std::string& path);

// True for the words YAML 1.1 (PyYAML, so LiteLLM) reads as booleans; sets *value.
bool ParseBoolWord(std::string_view s, bool* value);

// Reads the fields of one mapping. A missing or null node reads as an empty mapping; any
// other non-mapping is one error ("must be a mapping") and then reads nothing.
// Each accessor marks its key as known, so RejectUnknown() can name the typos.
class MapReader {
 public:
  // `line` is used for problems of a missing node (e.g. a required key of an absent section).
  MapReader(Errors& e, const YamlNode* node, std::string path, int line);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  // The line of `key`'s value, or of the map when absent.
  int LineOf(std::string_view key) const;
  Errors& errors() { return e_; }

  // The node under `key`, nullptr when absent or null.
  const YamlNode* Get(std::string_view key);
  // Records "is required" when `key` is absent or null; returns whether it is there.
  bool Require(std::string_view key);

  // Typed fields: *out is set only when a valid value is present; returns whether it was.
  bool String(std::string_view key, std::string* out);
  bool Bool(std::string_view key, bool* out);
  bool Double(std::string_view key, double min, bool exclusive, double* out);
  bool Double(std::string_view key, double min, bool exclusive, std::optional<double>* out);
  bool StringList(std::string_view key, std::vector<std::string>* out);
  // The same, calling check(value, line, path) on each item, which records its own error and
  // returns false to leave the item out.
  bool StringList(std::string_view key, std::vector<std::string>* out,
                  const std::function<bool(const std::string&, int, const std::string&)>& check);
  // One of `allowed`: "must be one of: a, b, c".
  bool Enum(std::string_view key, std::initializer_list<std::string_view> allowed,
            std::string* out);

  template <typename T>
  bool Int(std::string_view key, int64_t min, T* out) {
    const YamlNode* n = Get(key);
    if (n == nullptr) return false;
    auto v = ReadInt(e_, *n, PathOf(key), min, MaxOf<T>());
    if (v) *out = static_cast<T>(*v);
    return v.has_value();
  }
  template <typename T>
  bool Int(std::string_view key, int64_t min, std::optional<T>* out) {
    T v{};
    if (!Int(key, min, &v)) return false;
    *out = v;
    return true;
  }

  // One error per key of the mapping that no accessor asked for: "unknown key".
  void RejectUnknown();

 private:
  template <typename T>
  static int64_t MaxOf() {
    using L = std::numeric_limits<T>;
    return L::max() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? std::numeric_limits<int64_t>::max()
               : static_cast<int64_t>(L::max());
  }

  Errors& e_;
  const YamlNode* node_;  // nullptr when absent, null or not a mapping
  std::string path_;
  int line_;
  std::set<std::string, std::less<>> known_;
};

// Checks that a file exists and is readable; records "file not found: P" at path/line.
bool CheckReadableFile(Errors& e, const std::string& file, int line, const std::string& path);

// Printable, no control characters, 1..max bytes: safe in a response header.
bool IsHeaderSafe(std::string_view s, size_t max);
// 64 lowercase hex digits.
bool IsSha256Hex(std::string_view s);

}  // namespace edge::config
