// AdapterFor: every provider of a deployment's model string has its adapter.

#include <gtest/gtest.h>

#include "providers/adapter.h"
#include "providers/anthropic/adapter.h"
#include "providers/azure/adapter.h"
#include "providers/bedrock/adapter.h"
#include "providers/gemini/adapter.h"
#include "providers/openai/adapter.h"

namespace edge::providers {
namespace {

TEST(Registry, MapsProviderNamesToAdapters) {
  EXPECT_EQ(AdapterFor("openai"), &openai::OpenAiAdapter());
  EXPECT_EQ(AdapterFor("azure"), &azure::AzureAdapter());
  EXPECT_EQ(AdapterFor("anthropic"), &anthropic::AnthropicAdapter());
  EXPECT_EQ(AdapterFor("bedrock"), &bedrock::BedrockAdapter());
  EXPECT_EQ(AdapterFor("gemini"), &gemini::GeminiAdapter());
  EXPECT_EQ(AdapterFor("vertex_ai"), nullptr);
  EXPECT_EQ(AdapterFor("OpenAI"), nullptr);  // model strings are lower-case, as LiteLLM's
  EXPECT_EQ(AdapterFor(""), nullptr);
}

}  // namespace
}  // namespace edge::providers
