#pragma once

// `include: [files]`: reads a config and the files it includes into one tree. Internal to
// config/. The merge rules (docs/configuration.md, "Includes"):
// - the included files are merged in the order listed, then the including file's own content,
//   so the including file wins; a file's includes are merged the same way before it is used;
// - two mappings merge key by key (recursively), the later value of a key winning;
// - the lists in kConcatenatedLists (model_list, keys, teams, router_settings.fallbacks and
//   context_window_fallbacks) concatenate, the earlier file's items first;
// - anything else (scalars, other lists such as federation.peers, a mapping meeting a
//   non-mapping, null) is replaced by the later value.
// Paths are relative to the directory of the file that names them. A file is read at most once
// per config (a second include of it is an error, as is a cycle), includes nest at most
// kMaxIncludeDepth deep, and at most kMaxIncludedFiles files make one config.

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/reader.h"
#include "config/yaml_tree.h"

namespace edge::config {

inline constexpr int kMaxIncludeDepth = 8;
inline constexpr size_t kMaxIncludedFiles = 64;
inline constexpr size_t kMaxIncludedFileBytes = 4u << 20;
inline constexpr std::string_view kConcatenatedLists[] = {
    "model_list", "keys", "teams", "router_settings.fallbacks",
    "router_settings.context_window_fallbacks"};

// The filesystem: regular files of at most kMaxIncludedFileBytes; identities are canonical
// paths (symlinks resolved), so two names of one file are one file.
const FileSource& RealFiles();

// Parses `text`, the config at `path`, and every file it includes (read through `files`) into
// *out, whose lines are locations in *map. Problems go to `e`; every file read or tried is
// appended to *files_read (the config's own first). Returns false when the config's own text
// is not YAML (nothing else can be said about it then).
bool ReadWithIncludes(const std::string& path, const std::string& text, const FileSource& files,
                      SourceMap* map, Errors& e, YamlNode* out,
                      std::vector<std::string>* files_read);

}  // namespace edge::config
