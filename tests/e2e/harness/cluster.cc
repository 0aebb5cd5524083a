#include "tests/e2e/harness/cluster.h"

#include <mbedtls/sha256.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "tests/e2e/harness/json.h"

namespace edge::e2e {

std::string SourceDir() { return EDGE_SOURCE_DIR; }
std::string BinaryPath() { return EDGE_BINARY; }

std::string Sha256Hex(const std::string& s) {
  unsigned char out[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out, 0);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", out[i]);
  return hex;
}

std::map<std::string, std::string> AuthHeaders() {
  return {{"Authorization", std::string("Bearer ") + kTestKey},
          {"Content-Type", "application/json"}};
}

namespace {

uint16_t PortAfter(const std::string& line, const std::string& key) {
  std::smatch m;
  std::regex re("\"" + key + "\":\"[^\"]*:([0-9]+)\"");
  if (!std::regex_search(line, m, re)) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

}  // namespace

FakeProvider::FakeProvider(const TempDir& dir, const std::string& script,
                           std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {"/usr/bin/python3", SourceDir() + "/tests/fakes/" + script,
                                   "--port", "0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  static int n = 0;
  proc_ = std::make_unique<Process>(argv, dir.path(), "fake" + std::to_string(n++));
  auto line = proc_->WaitForLine("LISTENING", false, std::chrono::seconds(20));
  if (line) port_ = static_cast<uint16_t>(std::stoi(line->substr(line->find(' ') + 1)));
}

long FakeProvider::Stat(const std::string& name) const {
  auto r = Request(port_, "GET", "/_fake/stats");
  if (!r) return -1;
  std::smatch m;
  std::regex re("\"" + name + "\": ?([0-9]+)");
  if (!std::regex_search(r->body, m, re)) return -1;
  return std::stol(m[1]);
}

std::string FakeProvider::LastRequestJson() const {
  auto r = Request(port_, "GET", "/_fake/last_request");
  return r ? r->body : "";
}

namespace {

std::mutex live_dirs_mu;
std::set<std::string> live_dirs;  // work dirs of the nodes running now

std::string ClaimWorkDir(const std::string& base) {
  std::lock_guard lock(live_dirs_mu);
  std::string dir = base;
  for (int i = 2; live_dirs.count(dir) != 0; ++i) dir = base + "-" + std::to_string(i);
  live_dirs.insert(dir);
  return dir;
}

}  // namespace

Node::~Node() {
  proc_.reset();  // killed and reaped: its store is free again
  std::lock_guard lock(live_dirs_mu);
  live_dirs.erase(cwd_);
}

Node::Node(const TempDir& dir, const std::string& config_yaml, const std::string& name,
           bool require_ready, const std::map<std::string, std::string>& env) {
  config_path_ = dir.Write(name + ".yaml", config_yaml);
  cwd_ = ClaimWorkDir(dir.path() + "/" + name);
  std::filesystem::create_directories(cwd_);
  proc_ = std::make_unique<Process>(
      std::vector<std::string>{BinaryPath(), "serve", "--config", config_path_}, dir.path(), name,
      env, cwd_);
  // Waits for the line while the node runs: a config it refuses ends it at once.
  std::optional<std::string> line;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!line && proc_->running() && std::chrono::steady_clock::now() < give_up) {
    line = proc_->WaitForLine("\"listening\"", true, std::chrono::milliseconds(100));
  }
  if (!line) return;
  uint16_t port = PortAfter(*line, "listen");
  admin_port_ = PortAfter(*line, "admin_listen");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = Request(admin_port_, "GET", "/readyz", {}, {}, std::chrono::seconds(2));
    if (r && (r->status == 200 || !require_ready)) {
      port_ = port;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string DeploymentId(const Node& node, size_t index) {
  auto r = Request(node.admin_port(), "GET", "/admin/routes",
                   {{"Authorization", std::string("Bearer ") + kAdminKey}}, "");
  if (!r || r->status != 200) return "";
  rapidjson::Document doc = ParseJson(r->body);
  if (doc.HasParseError()) return "";
  return JsonString(doc, "deployments." + std::to_string(index) + ".id");
}

std::string TestConfig(const std::string& model_list_yaml, const std::string& node_extra,
                       int workers) {
  return "node:\n"
         "  id: e2e-node\n"
         "  region: eu-west\n"
         "  jurisdiction: EU\n"
         "  listen: \"127.0.0.1:0\"\n"
         "  admin_listen: \"127.0.0.1:0\"\n"
         "  data_dir: ./data\n"
         "  workers: " + std::to_string(workers) + "\n" + node_extra +
         "model_list:\n" + model_list_yaml +
         "keys:\n"
         "  - id: e2e\n"
         "    key_sha256: \"" + Sha256Hex(kTestKey) + "\"\n"
         "    team: search\n"
         "    env: test\n"
         "  - id: limited\n"
         "    key_sha256: \"" + Sha256Hex("sk-limited") + "\"\n"
         "    team: other\n"
         "    models: [embed]\n"
         "admin:\n"
         "  key_sha256: \"" + Sha256Hex(kAdminKey) + "\"\n";
}

std::string OpenAiDeployment(const std::string& alias, const std::string& upstream_model,
                             const std::string& api_base, const std::string& extra) {
  return "  - model_name: " + alias + "\n"
         "    litellm_params:\n"
         "      model: openai/" + upstream_model + "\n"
         "      api_base: " + api_base + "\n"
         "      api_key: sk-upstream-secret\n" + extra +
         // Loopback fakes stand for endpoints inside the node's (pinned) jurisdiction.
         "    model_info: {jurisdiction: EU}\n";
}

std::string Deployment(const std::string& alias, const std::string& model,
                       const std::string& api_base, const std::string& extra_params,
                       const std::string& jurisdiction) {
  return "  - model_name: " + alias + "\n"
         "    litellm_params:\n"
         "      model: " + model + "\n"
         "      api_base: " + api_base + "\n"
         "      api_key: sk-upstream-secret\n" + extra_params +
         "    model_info: {jurisdiction: " + jurisdiction + "}\n";
}

std::string StandardModels(uint16_t fake_port, const std::string& more) {
  std::string base = "http://127.0.0.1:" + std::to_string(fake_port) + "/v1";
  return OpenAiDeployment("chat", "gpt-4o-mini", base) +
         OpenAiDeployment("embed", "text-embedding-3-small", base) + more;
}

}  // namespace edge::e2e
