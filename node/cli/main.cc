// The llm-edge binary: one command per subcommand of DESIGN.md's command line.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "node/cli/commands.h"
#include "node/cli/serve.h"

#ifdef EDGE_JEMALLOC
// jemalloc reads its options from this symbol of the program (MALLOC_CONF still overrides).
// Freed pages go back to the kernel after 1 s instead of 10 s, from jemalloc's own background
// thread rather than from the workers' frees: a node that served a burst and then holds many
// idle connections does not keep the burst's memory (10,000 idle connections after 500,000
// requests: ~88 MiB with the defaults, ~60 MiB with these).
extern "C" const char* const malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

namespace {

const char kUsage[] =
    "usage: llm-edge <command> [options]\n"
    "  serve --config FILE    run a node\n"
    "  check --config FILE    validate a config file\n"
    "  geo lookup IP --config FILE [--explain]\n"
    "                         how a caller at IP is placed (country, jurisdiction, rule)\n"
    "  keygen                 print a new API key and its sha256\n"
    "  keygen --node --data-dir DIR\n"
    "                         create the node's audit signing key, print its public key\n"
    "  audit verify|export|residency ...\n"
    "                         check, export or tally the routing audit log\n"
    "  spend (--url URL --admin-key K | --data-dir DIR) [--by team,feature,env,model,...]\n"
    "        [--period YYYY-MM|YYYY-MM-DD | --from T --to T] [--format table|csv|json]\n"
    "        [--region NAME] [--global]\n"
    "                         print spend from a running node or a data directory\n"
    "                         (--global: every region's, as the node's federation sees it)\n";

// The value after `--name` (or `--name=value`), or empty.
std::string Flag(const std::vector<std::string>& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "keygen") {
    bool node = false;
    for (const std::string& a : args) node = node || a == "--node";
    return node ? edge::cli::RunNodeKeygen(Flag(args, "--data-dir")) : edge::cli::RunKeygen();
  }
  if (command == "audit") return edge::cli::RunAudit(args);
  if (command == "spend") return edge::cli::RunSpend(args);
  if (command == "serve" || command == "check") {
    std::string config = Flag(args, "--config");
    if (config.empty()) {
      std::fprintf(stderr, "llm-edge %s: --config FILE is required\n", command.c_str());
      return 2;
    }
    return command == "serve" ? edge::cli::RunServe(config) : edge::cli::RunCheck(config);
  }
  if (command == "geo") {
    // geo lookup IP --config FILE [--explain]; the IP is the first argument not a flag.
    std::string config = Flag(args, "--config");
    std::string ip;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--config") {
        ++i;
      } else if (!args[i].starts_with("--")) {
        ip = args[i];
        break;
      }
    }
    if (args.empty() || args[0] != "lookup" || ip.empty() || config.empty()) {
      std::fprintf(stderr, "usage: llm-edge geo lookup IP --config FILE [--explain]\n");
      return 2;
    }
    bool explain = std::find(args.begin(), args.end(), "--explain") != args.end();
    return edge::cli::RunGeoLookup(ip, config, explain);
  }
  std::fprintf(stderr, "llm-edge: unknown command '%s'\n%s", command.c_str(), kUsage);
  return 2;
}
