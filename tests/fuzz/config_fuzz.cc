// LoadFromString on arbitrary bytes: never crashes, never throws (yaml-cpp's exceptions must
// all be turned into errors), and fails exactly when it reports an error.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  std::vector<edge::config::ConfigError> errors;
  auto cfg = edge::config::LoadFromString(yaml, "fuzz.yaml", &errors);
  if (cfg.ok() != errors.empty()) std::abort();
  for (const auto& e : errors) {
    if (e.line < 1 || e.message.empty() || e.ToString().empty()) std::abort();
  }
  return 0;
}
