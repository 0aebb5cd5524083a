#include "tests/e2e/harness/fakes.h"

namespace edge::e2e {

namespace {

struct ProviderFacts {
  const char* name;    // the litellm prefix
  const char* script;  // the fake in tests/fakes/
  const char* model;   // what ProviderDeployment's items send upstream
};

const ProviderFacts& Facts(Provider p) {
  static constexpr ProviderFacts kFacts[] = {
      {"openai", "fake_openai.py", "gpt-4o-mini"},
      {"azure", "fake_openai.py", "gpt4o-eu"},  // the Azure deployment's name
      {"anthropic", "fake_anthropic.py", "claude-sonnet-4-6"},
      {"bedrock", "fake_bedrock.py", "eu.anthropic.claude-sonnet-4-6"},
      {"gemini", "fake_gemini.py", "gemini-2.5-flash"},
  };
  return kFacts[static_cast<int>(p)];
}

}  // namespace

std::string ProviderName(Provider p) { return Facts(p).name; }
std::string FakeScript(Provider p) { return Facts(p).script; }
std::string UpstreamModel(Provider p) { return Facts(p).model; }

std::string FakeText(const std::string& received_model, int chunks) {
  std::string text = chunks > 0 ? "model=" + received_model : "";
  for (int i = 1; i < chunks; ++i) text += " tok" + std::to_string(i);
  return text;
}

std::string ProviderDeployment(Provider p, const std::string& alias, const FakeProvider& fake,
                               const std::string& switches, const std::string& extra_params) {
  std::string model = ProviderName(p) + "/" + UpstreamModel(p) + switches;
  switch (p) {
    case Provider::kOpenAi:
      return Deployment(alias, model, fake.base_url() + "/v1", extra_params);
    case Provider::kAzure:
      return Deployment(alias, model, fake.base_url(),
                        "      api_version: \"2024-10-21\"\n" + extra_params);
    case Provider::kBedrock:
      // fake_bedrock.py's default credentials; it checks the signature for them.
      return Deployment(alias, model, fake.base_url(),
                        "      aws_region_name: eu-central-1\n"
                        "      aws_access_key_id: AKIDEXAMPLE\n"
                        "      aws_secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n" +
                            extra_params);
    case Provider::kAnthropic:
    case Provider::kGemini: return Deployment(alias, model, fake.base_url(), extra_params);
  }
  return "";
}

FakeFleet::FakeFleet(const TempDir& dir)
    : openai_(std::make_unique<FakeProvider>(dir, "fake_openai.py")),
      anthropic_(std::make_unique<FakeProvider>(dir, "fake_anthropic.py")),
      bedrock_(std::make_unique<FakeProvider>(dir, "fake_bedrock.py")),
      gemini_(std::make_unique<FakeProvider>(dir, "fake_gemini.py")) {}

bool FakeFleet::ok() const {
  return openai_->ok() && anthropic_->ok() && bedrock_->ok() && gemini_->ok();
}

std::string FakeFleet::Errors() {
  std::string out;
  for (Provider p : {Provider::kOpenAi, Provider::kAnthropic, Provider::kBedrock,
                     Provider::kGemini}) {
    if (!For(p).ok()) out += FakeScript(p) + " did not start: " + For(p).process().Stderr() + "\n";
  }
  return out;
}

FakeProvider& FakeFleet::For(Provider p) {
  switch (p) {
    case Provider::kOpenAi:
    case Provider::kAzure: return *openai_;
    case Provider::kAnthropic: return *anthropic_;
    case Provider::kBedrock: return *bedrock_;
    case Provider::kGemini: return *gemini_;
  }
  return *openai_;
}

std::string FleetStage::Start(const std::string& models, const std::string& more_config) {
  if (!fakes.ok()) return fakes.Errors();
  node = std::make_unique<Node>(dir, TestConfig(models) + more_config);
  return node->ok() ? "" : "the node did not start: " + node->process().Stderr();
}

}  // namespace edge::e2e
