#pragma once

// Starting the real processes of a test: fake providers and llm-edge nodes, on loopback
// ports they pick themselves and report.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/harness/http_client.h"
#include "tests/e2e/harness/process.h"

namespace edge::e2e {

// The plaintext key every e2e config accepts, and the admin key.
inline constexpr char kTestKey[] = "sk-edge-e2e-test-key";
inline constexpr char kAdminKey[] = "admin-e2e-key";

std::string Sha256Hex(const std::string& s);

// `Authorization: Bearer <kTestKey>` plus a JSON content type.
std::map<std::string, std::string> AuthHeaders();

// A fake provider from tests/fakes/ (fake_openai.py, fake_anthropic.py, fake_bedrock.py,
// fake_gemini.py): they share the CLI, the LISTENING line and the /_fake/ endpoints.
class FakeProvider {
 public:
  // Starts tests/fakes/<script>; extra args e.g. {"--cert", c, "--key", k}.
  FakeProvider(const TempDir& dir, const std::string& script,
               std::vector<std::string> extra_args = {});
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // A counter from GET /_fake/stats (connections_opened, requests, streams_cancelled, ...).
  long Stat(const std::string& name) const;
  std::string LastRequestJson() const;
  Process& process() { return *proc_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<Process> proc_;
  uint16_t port_ = 0;
};

class FakeOpenAI : public FakeProvider {
 public:
  explicit FakeOpenAI(const TempDir& dir, std::vector<std::string> extra_args = {})
      : FakeProvider(dir, "fake_openai.py", std::move(extra_args)) {}
};

// A model_list item for any provider: `model` is the full litellm model string.
std::string Deployment(const std::string& alias, const std::string& model,
                       const std::string& api_base, const std::string& extra_params = "",
                       const std::string& jurisdiction = "EU");

class Node {
 public:
  // Writes `config_yaml` to the dir and runs `llm-edge serve` on it until /readyz is 200. It
  // runs in DIR/NAME (so `data_dir: ./data` is DIR/NAME/data), or DIR/NAME-2, -3... while a
  // node of that name is still running there: live nodes never share a store, and a node
  // started again under the same name after the first one is gone finds its store. With
  // `require_ready` false, any answer of /readyz will do (a node that is up but not ready).
  // `env` adds environment variables (test-only switches such as the gossip blocking file).
  Node(const TempDir& dir, const std::string& config_yaml, const std::string& name = "node",
       bool require_ready = true, const std::map<std::string, std::string>& env = {});
  ~Node();
  const std::string& work_dir() const { return cwd_; }
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  Process& process() { return *proc_; }
  std::string config_path() const { return config_path_; }

 private:
  std::unique_ptr<Process> proc_;
  std::string config_path_;
  std::string cwd_;
  uint16_t port_ = 0, admin_port_ = 0;
};

// The id of model_list's index-th deployment, as GET /admin/routes names it (ids come from
// the deployment's content; see docs/routing.md). "" when the node does not answer.
std::string DeploymentId(const Node& node, size_t index);

// A config with one node listening on 127.0.0.1:0, the test key, and `model_list_yaml`
// (already indented as the items of model_list). `node_extra` adds lines under node:.
std::string TestConfig(const std::string& model_list_yaml, const std::string& node_extra = "",
                       int workers = 2);

// One OpenAI deployment item for model_list pointing at a fake.
std::string OpenAiDeployment(const std::string& alias, const std::string& upstream_model,
                             const std::string& api_base, const std::string& extra = "");

// The deployments most tests use: alias `chat` (and `chat-<fault>` variants added by the
// test) and `embed`, both at the fake's api_base.
std::string StandardModels(uint16_t fake_port, const std::string& more = "");

std::string SourceDir();
std::string BinaryPath();

}  // namespace edge::e2e
