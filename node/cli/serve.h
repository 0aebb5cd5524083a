#pragma once

#include <string>

namespace edge::cli {

// `llm-edge serve --config FILE`: runs the node in the foreground until SIGTERM/SIGINT;
// SIGHUP reloads the config. Returns the process exit code.
int RunServe(const std::string& config_path);

}  // namespace edge::cli
