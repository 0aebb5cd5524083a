#pragma once

// The five providers a node calls, each stood for by a fake from tests/fakes/, and the
// deployments that point a node at them: so a test can say "Bedrock, first attempt 429"
// without spelling out paths, models and credentials.

#include <memory>
#include <string>

#include "tests/e2e/harness/cluster.h"

namespace edge::e2e {

// (fakes.cc keeps a table in this order.)
enum class Provider { kOpenAi, kAzure, kAnthropic, kBedrock, kGemini };
inline constexpr Provider kAllProviders[] = {Provider::kOpenAi, Provider::kAzure,
                                             Provider::kAnthropic, Provider::kBedrock,
                                             Provider::kGemini};

// "openai", "azure", "anthropic", "bedrock", "gemini": the litellm prefix.
std::string ProviderName(Provider p);
// The fake that serves p (Azure is fake_openai.py's deployment paths).
std::string FakeScript(Provider p);
// The model (Azure: the deployment) that p's fake receives from ProviderDeployment's items,
// without switches.
std::string UpstreamModel(Provider p);
// The text every fake answers: "model=<received_model> tok1 tok2 ..." in `chunks` pieces.
std::string FakeText(const std::string& received_model, int chunks = 5);

// A model_list item for provider p at `fake`, `switches` (e.g. "@429") appended to the model
// so that this deployment alone faults; `extra_params` adds lines under litellm_params.
// Bedrock items carry the fake's default credentials, Azure items an api_version.
std::string ProviderDeployment(Provider p, const std::string& alias, const FakeProvider& fake,
                               const std::string& switches = "",
                               const std::string& extra_params = "");

// One fake per fake script, started together: For(p) is the one serving provider p.
class FakeFleet {
 public:
  explicit FakeFleet(const TempDir& dir);
  // All started; else Errors() says which did not and why.
  bool ok() const;
  std::string Errors();
  FakeProvider& For(Provider p);

 private:
  std::unique_ptr<FakeProvider> openai_, anthropic_, bedrock_, gemini_;
};

// What a test suite usually shares: a directory, the four fakes (started on construction)
// and a node in front of them, started on a model list made with `fakes`.
class FleetStage {
 public:
  FleetStage() : fakes(dir) {}
  // Starts the node on TestConfig(models) plus `more_config` (top-level YAML); "" when the
  // fakes and the node run, else what went wrong.
  std::string Start(const std::string& models, const std::string& more_config = "");

  TempDir dir;
  FakeFleet fakes;
  std::unique_ptr<Node> node;
};

}  // namespace edge::e2e
