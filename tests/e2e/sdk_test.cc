// The official SDKs (npm `openai` and `@anthropic-ai/sdk`) against a running node: what real
// applications use must understand every answer, streaming or not, with the usage the
// provider reported.

#include <gtest/gtest.h>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/sdk.h"

namespace edge::e2e {
namespace {

class OpenAiSdk : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeOpenAI>(dir_);
    ASSERT_TRUE(fake_->ok());
    node_ = std::make_unique<Node>(dir_, TestConfig(StandardModels(fake_->port())));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  TempDir dir_;
  std::unique_ptr<FakeOpenAI> fake_;
  std::unique_ptr<Node> node_;
};

TEST_F(OpenAiSdk, ChatCompletionsWholeAndStreamed) {
  for (bool stream : {false, true}) {
    SdkResult r = RunSdk(dir_, "openai-chat", node_->port(), "chat", stream);
    ASSERT_TRUE(r.ok) << r.json;
    EXPECT_NE(r.String("text").find("tok1"), std::string::npos) << r.json;
    EXPECT_EQ(r.String("finish"), "stop") << r.json;
    // The fake counts the prompt's words ("Say hello to the edge") and emits 5 chunks.
    EXPECT_EQ(r.Number("input_tokens"), 5) << r.json;
    EXPECT_EQ(r.Number("output_tokens"), 5) << r.json;
  }
}

}  // namespace
}  // namespace edge::e2e
