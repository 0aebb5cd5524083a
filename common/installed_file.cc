#include "common/installed_file.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace edge {
namespace {

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

Result<std::string> FindInstalledFile(std::string_view name, const char* env_var,
                                      std::string_view build_tree_path) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv(env_var); env != nullptr && *env != 0) {
    candidates.emplace_back(env);
  }
  std::string exe_dir = ExecutableDir();
  if (!exe_dir.empty()) candidates.push_back(exe_dir + "/../share/llm-edge/" + std::string(name));
  if (!build_tree_path.empty()) candidates.emplace_back(build_tree_path);
  candidates.push_back("/usr/local/share/llm-edge/" + std::string(name));
  candidates.push_back("/usr/share/llm-edge/" + std::string(name));
  std::string tried;
  for (const std::string& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) return c;
    tried += (tried.empty() ? "" : ", ") + c;
  }
  return NotFound("tried " + tried);
}

}  // namespace edge
