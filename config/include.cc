// `include:` resolution and the merge of included trees (rules in include.h).

#include "config/include.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

namespace edge::config {

namespace {

namespace fs = std::filesystem;

// All files of one config together hold no more nodes than one file may (yaml_tree.cc's
// budget): a list of includes must not multiply an alias bomb.
constexpr size_t kMaxTotalNodes = 200000;

class FileSystemSource final : public FileSource {
 public:
  Result<std::string> Read(const std::string& path) const override {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return NotFound("file not found");
    if (!fs::is_regular_file(st)) return InvalidArgument("not a regular file");
    uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > kMaxIncludedFileBytes) {
      return InvalidArgument("larger than " + std::to_string(kMaxIncludedFileBytes >> 20) + " MiB");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return Internal(std::strerror(errno));
    return text;
  }
  std::string Identity(const std::string& path) const override {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(path, ec);
    return ec ? fs::path(path).lexically_normal().string() : p.string();
  }
};

int CountLines(const std::string& text) {
  size_t n = std::count(text.begin(), text.end(), '\n') + 1;
  return static_cast<int>(std::min<size_t>(n, 1u << 28));
}

// Node count and shift of a parsed file's lines to its locations.
size_t Relocate(YamlNode* n, int base) {
  n->line += base;
  size_t count = 1;
  for (YamlEntry& e : n->entries) {
    e.key_line += base;
    count += Relocate(&e.value, base);
  }
  for (YamlNode& item : n->items) count += Relocate(&item, base);
  return count;
}

bool IsConcatenated(std::string_view path) {
  return std::find(std::begin(kConcatenatedLists), std::end(kConcatenatedLists), path) !=
         std::end(kConcatenatedLists);
}

YamlNode* FindMutable(YamlNode* map, std::string_view key, int** key_line) {
  for (YamlEntry& e : map->entries) {
    if (e.key == key) {
      *key_line = &e.key_line;
      return &e.value;
    }
  }
  return nullptr;
}

// `from` merged over `into` (include.h): maps key by key, concatenated lists appended,
// anything else replaced.
void Merge(YamlNode* into, YamlNode&& from, const std::string& path) {
  if (into->is_map() && from.is_map()) {
    for (YamlEntry& e : from.entries) {
      int* key_line = nullptr;
      YamlNode* existing = FindMutable(into, e.key, &key_line);
      if (existing == nullptr) {
        into->entries.push_back(std::move(e));
      } else {
        *key_line = e.key_line;  // "unknown key" and the like name the winning file
        Merge(existing, std::move(e.value), JoinPath(path, e.key));
      }
    }
    into->line = from.line;  // a missing key of the merged section is reported at the last one
    return;
  }
  if (into->is_seq() && from.is_seq() && IsConcatenated(path)) {
    for (YamlNode& item : from.items) into->items.push_back(std::move(item));
    return;
  }
  *into = std::move(from);
}

class IncludeReader {
 public:
  IncludeReader(const FileSource& files, SourceMap* map, Errors& e,
                std::vector<std::string>* files_read)
      : files_(files), map_(map), e_(e), files_read_(files_read) {}

  bool ReadRoot(const std::string& path, const std::string& text, YamlNode* out) {
    std::string id = files_.Identity(path);
    seen_.emplace(id, 0);
    if (files_read_ != nullptr) files_read_->push_back(path);
    if (!Parse(path, text, -1, out)) return false;
    chain_.push_back(path);
    chain_ids_.push_back(id);
    Expand(out, path, 0);
    return true;
  }

 private:
  // "FILE:LINE" of a location.
  std::string Describe(int location) const {
    SourceMap::Where w = map_->Resolve(location);
    return *w.file + ":" + std::to_string(w.line);
  }

  // Parses one file into *out with its lines as locations. `from` is the location of the
  // include that names it (-1 for the config itself).
  bool Parse(const std::string& path, const std::string& text, int from, YamlNode* out) {
    int base = map_->Add(path, CountLines(text));
    int line = 1;
    Status parsed = ParseYaml(text, out, &line);
    std::string included_from = from < 0 ? "" : " (in a file included from " + Describe(from) + ")";
    if (!parsed.ok()) {
      e_.Add(base + line, "", parsed.message() + included_from);
      return false;
    }
    nodes_ += Relocate(out, base);
    if (nodes_ > kMaxTotalNodes) {
      e_.Add(from < 0 ? base + 1 : from, from < 0 ? "" : "include",
             "the config and its included files hold more than " +
                 std::to_string(kMaxTotalNodes) + " YAML nodes");
      return false;
    }
    if (from >= 0 && !out->is_map() && !out->is_null()) {
      e_.Add(out->line, "",
             "an included file must be a mapping of sections (node:, model_list:, ...)" +
                 included_from);
      return false;
    }
    return true;
  }

  struct Item {
    std::string name;
    int location;
    std::string path;
  };

  // The file names of an `include:` value (a list of files, or one file as LiteLLM allows).
  std::vector<Item> Items(const YamlNode& value) {
    std::vector<Item> items;
    if (value.is_null()) return items;
    if (value.is_scalar()) {
      if (auto s = ReadString(e_, value, "include")) items.push_back({*s, value.line, "include"});
      return items;
    }
    if (!value.is_seq()) {
      e_.Add(value.line, "include", "must be a list of files");
      return items;
    }
    for (size_t i = 0; i < value.items.size(); ++i) {
      const YamlNode& n = value.items[i];
      std::string path = JoinPath("include", i);
      if (n.is_null()) {
        e_.Add(n.line, path, "must not be empty");
      } else if (auto s = ReadString(e_, n, path)) {
        if (s->empty()) {
          e_.Add(n.line, path, "must not be empty");
        } else {
          items.push_back({*s, n.line, path});
        }
      }
    }
    return items;
  }

  // Replaces *root, the tree of `path`, by its includes merged in order and then itself.
  void Expand(YamlNode* root, const std::string& path, int depth) {
    if (!root->is_map()) return;  // Loader::Run reports a config that is not a mapping
    auto it = std::find_if(root->entries.begin(), root->entries.end(),
                           [](const YamlEntry& e) { return e.key == "include"; });
    if (it == root->entries.end()) return;
    e_.SawKey("include");
    YamlNode value = std::move(it->value);
    root->entries.erase(it);

    YamlNode merged;
    merged.kind = YamlNode::Kind::kMap;
    merged.line = root->line;
    for (const Item& item : Items(value)) {
      YamlNode child;
      if (ReadIncluded(item, path, depth, &child)) Merge(&merged, std::move(child), "");
    }
    Merge(&merged, std::move(*root), "");
    *root = std::move(merged);
  }

  // Reads, parses and expands one included file; false (after recording why) when it
  // contributes nothing.
  bool ReadIncluded(const Item& item, const std::string& from_path, int depth, YamlNode* out) {
    if (item.name.empty()) {
      e_.Add(item.location, item.path, "must not be empty");
      return false;
    }
    fs::path name(item.name);
    std::string file = name.is_absolute()
                           ? name.lexically_normal().string()
                           : (fs::path(from_path).parent_path() / name).lexically_normal().string();
    std::string id = files_.Identity(file);
    if (std::find(chain_ids_.begin(), chain_ids_.end(), id) != chain_ids_.end()) {
      std::string cycle;
      for (const std::string& f : chain_) cycle += f + " -> ";
      e_.Add(item.location, item.path, "include cycle: " + cycle + file);
      return false;
    }
    if (auto seen = seen_.find(id); seen != seen_.end()) {
      e_.Add(item.location, item.path,
             file + " is already included (" + Describe(seen->second) +
                 "); each file is merged once");
      return false;
    }
    if (depth + 1 > kMaxIncludeDepth) {
      e_.Add(item.location, item.path,
             "includes nest deeper than " + std::to_string(kMaxIncludeDepth) + " files");
      return false;
    }
    if (seen_.size() >= kMaxIncludedFiles) {
      e_.Add(item.location, item.path,
             "a config may consist of at most " + std::to_string(kMaxIncludedFiles) + " files");
      return false;
    }
    seen_.emplace(id, item.location);
    if (files_read_ != nullptr) files_read_->push_back(file);
    Result<std::string> text = files_.Read(file);
    if (!text.ok()) {
      e_.Add(item.location, item.path,
             "cannot read included file " + file + ": " + text.status().message());
      return false;
    }
    if (!Parse(file, *text, item.location, out) || out->is_null()) return false;
    chain_.push_back(file);
    chain_ids_.push_back(id);
    Expand(out, file, depth + 1);
    chain_.pop_back();
    chain_ids_.pop_back();
    return true;
  }

  const FileSource& files_;
  SourceMap* map_;
  Errors& e_;
  std::vector<std::string>* files_read_;
  std::vector<std::string> chain_;      // the files being expanded, the config first
  std::vector<std::string> chain_ids_;  // their identities
  std::map<std::string, int> seen_;     // identity -> where it was included (0: the config)
  size_t nodes_ = 0;
};

}  // namespace

const FileSource& RealFiles() {
  static const FileSystemSource files;
  return files;
}

bool ReadWithIncludes(const std::string& path, const std::string& text, const FileSource& files,
                      SourceMap* map, Errors& e, YamlNode* out,
                      std::vector<std::string>* files_read) {
  return IncludeReader(files, map, e, files_read).ReadRoot(path, text, out);
}

}  // namespace edge::config
