// LoadFromString on arbitrary bytes: never crashes, never throws (yaml-cpp's exceptions must
// all be turned into errors), and fails exactly when it reports an error.
//
// Includes are fuzzed too, against an in-memory set of files rather than the disk: the input
// is split at NUL bytes into the config (/fuzz/main.yaml) and files /fuzz/1.yaml,
// /fuzz/2.yaml, ...; a few fixed files (a valid fragment, one that includes another, a
// self-include, a malformed one) are always there. So the fuzzer explores include lists,
// relative paths, cycles, repeats, depth and the merge, with no disk I/O and no way to read
// the host's files (`include: [/dev/zero]` or /proc would make runs slow and flaky).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace {

class FuzzFiles final : public edge::config::FileSource {
 public:
  std::map<std::string, std::string> files;
  edge::Result<std::string> Read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return edge::NotFound("file not found");
    return it->second;
  }
  std::string Identity(const std::string& path) const override {
    return std::filesystem::path(path).lexically_normal().string();
  }
};

void AddFixedFiles(FuzzFiles* f) {
  f->files["/fuzz/models.yaml"] =
      "model_list:\n  - {model_name: m, litellm_params: {model: openai/x, api_key: k}}\n"
      "router_settings: {fallbacks: [{m: [m2]}]}\n";
  f->files["/fuzz/base.yaml"] = "include: [models.yaml]\nnode: {region: r, workers: 1}\n"
                                "keys: [{id: a, key_sha256: \"" +
                                std::string(64, 'a') + "\"}]\n";
  f->files["/fuzz/self.yaml"] = "include: [self.yaml]\n";
  f->files["/fuzz/bad.yaml"] = "node: [unclosed\n";
  f->files["/fuzz/sub/up.yaml"] = "include: [../base.yaml]\nteams: [{name: t}]\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t nul; (nul = input.find('\0', start)) != std::string::npos; start = nul + 1) {
    parts.push_back(input.substr(start, nul - start));
  }
  parts.push_back(input.substr(start));

  FuzzFiles files;
  AddFixedFiles(&files);
  for (size_t i = 1; i < parts.size(); ++i) {
    files.files["/fuzz/" + std::to_string(i) + ".yaml"] = parts[i];
  }
  std::vector<std::string> read;
  edge::config::LoadOptions options;
  options.files = &files;
  options.files_read = &read;

  std::vector<edge::config::ConfigError> errors;
  auto cfg = edge::config::LoadFromString(parts[0], "/fuzz/main.yaml", &errors, options);
  if (cfg.ok() != errors.empty()) std::abort();
  for (const auto& e : errors) {
    if (e.line < 1 || e.message.empty() || e.ToString().empty()) std::abort();
    // Every error names a file of this config.
    if (e.file != "/fuzz/main.yaml" && files.files.count(e.file) == 0) std::abort();
  }
  if (read.empty() || read[0] != "/fuzz/main.yaml") std::abort();
  if (cfg.ok()) {
    if (cfg->files != read) std::abort();
    for (const auto& d : cfg->model_list) {
      if (d.line < 1 || (d.file != "/fuzz/main.yaml" && files.files.count(d.file) == 0)) {
        std::abort();
      }
    }
  }
  return 0;
}
