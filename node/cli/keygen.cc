#include <cstdio>

#include "config/key_hash.h"
#include "node/cli/commands.h"

namespace edge::cli {

int RunKeygen() {
  std::string key = config::GenerateApiKey();
  std::printf("key: %s\nkey_sha256: %s\n", key.c_str(), config::Sha256Hex(key).c_str());
  return 0;
}

}  // namespace edge::cli
