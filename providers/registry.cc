// Provider name -> adapter: the one place that knows every provider. Adding a provider is
// its folder plus one line here.

#include <string_view>

#include "providers/adapter.h"
#include "providers/anthropic/adapter.h"
#include "providers/azure/adapter.h"
#include "providers/bedrock/adapter.h"
#include "providers/gemini/adapter.h"
#include "providers/openai/adapter.h"

namespace edge::providers {

const Adapter* AdapterFor(std::string_view provider) {
  if (provider == "openai") return &openai::OpenAiAdapter();
  if (provider == "azure") return &azure::AzureAdapter();
  if (provider == "anthropic") return &anthropic::AnthropicAdapter();
  if (provider == "bedrock") return &bedrock::BedrockAdapter();
  if (provider == "gemini") return &gemini::GeminiAdapter();
  return nullptr;
}

}  // namespace edge::providers
