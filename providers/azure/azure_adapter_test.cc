// The Azure OpenAI adapter against fixtures written from Azure OpenAI's REST reference:
// deployment paths, api-key auth, the prompt_filter_results chunk, content filtering, and
// Azure's error bodies.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "providers/azure/adapter.h"
#include "providers/openai/decoder_test_util.h"

namespace edge::providers::azure {
namespace {

using testing::DecodeWhole;
using testing::ExpectRobust;
using testing::ExpectSameAtEverySplit;
using testing::Header;
using testing::JsonEqual;

const Adapter& A() { return AzureAdapter(); }

std::string Data(const std::string& name) { return testing::Testdata("azure", name); }

Target AzureTarget() {
  Target t;
  t.provider = "azure";
  t.model = "gpt-4o-prod";
  t.host = "contoso.openai.azure.com";
  t.api_key = "az-key";
  t.api_version = "2024-10-21";
  return t;
}

constexpr std::string_view kBody =
    R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":true})";

TEST(AzureAdapter, BuildsDeploymentPathsWithApiKey) {
  Result<HttpCall> call = A().BuildChat(AzureTarget(), kBody, true);
  ASSERT_TRUE(call.ok()) << call.status().ToString();
  EXPECT_EQ(call->path, "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(Header(*call, "api-key"), "az-key");
  EXPECT_EQ(Header(*call, "authorization"), std::nullopt);
  EXPECT_EQ(Header(*call, "accept"), "text/event-stream");
  EXPECT_TRUE(JsonEqual(call->body, R"({"model":"gpt-4o-prod","messages":[{"role":"user",
      "content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})"));

  Target t = AzureTarget();
  t.api_version.clear();
  t.base_path = "/proxy";
  call = A().BuildChat(t, kBody, false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path, "/proxy/openai/deployments/gpt-4o-prod/chat/completions?api-version=" +
                            std::string(kDefaultApiVersion));
  EXPECT_TRUE(JsonEqual(call->body, R"({"model":"gpt-4o-prod","messages":[{"role":"user",
      "content":"hi"}],"stream":false})"));
}

TEST(AzureAdapter, EscapesTheDeploymentButKeepsSwitches) {
  Target t = AzureTarget();
  t.model = "my dep/x?y";
  Result<HttpCall> call = A().BuildChat(t, kBody, false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path,
            "/openai/deployments/my%20dep%2Fx%3Fy/chat/completions?api-version=2024-10-21");
  t.model = "gpt-4o@429@delay=5";
  call = A().BuildChat(t, kBody, false);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path,
            "/openai/deployments/gpt-4o@429@delay=5/chat/completions?api-version=2024-10-21");
  t.model.clear();
  EXPECT_FALSE(A().BuildChat(t, kBody, false).ok());
}

TEST(AzureAdapter, Embeddings) {
  Result<HttpCall> call =
      A().BuildEmbeddings(AzureTarget(), R"({"model":"e","input":"The food was delicious"})");
  ASSERT_TRUE(call.ok());
  EXPECT_EQ(call->path, "/openai/deployments/gpt-4o-prod/embeddings?api-version=2024-10-21");
  EXPECT_EQ(Header(*call, "api-key"), "az-key");
  EXPECT_TRUE(JsonEqual(call->body, R"({"model":"gpt-4o-prod","input":"The food was delicious"})"));
  Usage usage;
  Result<std::string> out = A().ParseEmbeddings(AzureTarget(), Data("embeddings.json"), &usage);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, Data("embeddings.json"));
  EXPECT_EQ(usage.input_tokens, 4);
}

TEST(AzureAdapter, ParsesAChatCompletionWithFilterResults) {
  Result<ChatResponse> r = A().ParseChat(Data("chat_completion.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "chatcmpl-AZ9sgdNk2Lvy7fQd");
  EXPECT_EQ(r->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(r->text, "Yes, customer managed keys are supported by Azure OpenAI.");
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->usage.input_tokens, 33);
  EXPECT_EQ(r->usage.output_tokens, 12);
}

TEST(AzureAdapter, SkipsThePromptFilterChunk) {
  const std::string s = Data("chat_stream.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.feed.ok()) << d.feed.ToString();
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  // The first chunk (empty choices, empty id and model) is neither the start nor usage.
  const std::vector<std::string> want = {"start chatcmpl-AZ1 gpt-4o-2024-08-06", "text Hello",
                                         "text  there", "finish stop",
                                         "usage in=12 cached=0 out=2"};
  EXPECT_EQ(d.deltas, want);
  ExpectSameAtEverySplit(A(), s);
  ExpectRobust(A(), s, s.size());
}

TEST(AzureAdapter, ContentFilterFinishPassesThrough) {
  const std::string s = Data("chat_stream_content_filter.sse");
  const testing::Decoded d = DecodeWhole(A(), s);
  ASSERT_TRUE(d.finish.ok()) << d.finish.ToString();
  const std::vector<std::string> want = {"start chatcmpl-AZ1 gpt-4o-2024-08-06", "text Once upon",
                                         "finish content_filter"};
  EXPECT_EQ(d.deltas, want);
  EXPECT_FALSE(d.usage.reported);
  ExpectSameAtEverySplit(A(), s);
}

TEST(AzureAdapter, ClassifiesAzureErrors) {
  // The Retry-After header wins; without it, the seconds in Azure's message.
  ProviderError e = A().ClassifyError(429, {.retry_after = "2"}, Data("error_429.json"));
  EXPECT_EQ(e.status, 429);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.retry_after, "2");
  EXPECT_EQ(e.type, "429");
  e = A().ClassifyError(429, {}, Data("error_429.json"));
  EXPECT_EQ(e.retry_after, "6");
  EXPECT_NE(e.message.find("exceeded token rate limit"), std::string::npos);

  e = A().ClassifyError(401, {}, Data("error_401.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("Access denied"), std::string::npos);
  EXPECT_NE(e.message.find("azure"), std::string::npos);

  e = A().ClassifyError(404, {}, Data("error_deployment_not_found.json"));
  EXPECT_EQ(e.status, 502);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.type, "DeploymentNotFound");

  e = A().ClassifyError(400, {}, Data("error_content_filter.json"));
  EXPECT_EQ(e.status, 400);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.type, "content_filter");
  EXPECT_NE(e.message.find("content management policy"), std::string::npos);

  e = A().ClassifyError(500, {}, "");
  EXPECT_EQ(e.status, 502);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.message, "azure answered HTTP 500");
}

TEST(AzureAdapter, RetryAfterMsIsRoundedUpToSeconds) {
  const std::string body = Data("error_429.json");  // its message says "retry after 6 seconds"
  auto retry_after = [&](const RetryHeaders& headers) {
    return A().ClassifyError(429, headers, body).retry_after;
  };
  EXPECT_EQ(retry_after({.retry_after_ms = "1500"}), "2");
  EXPECT_EQ(retry_after({.retry_after_ms = "2000"}), "2");
  EXPECT_EQ(retry_after({.retry_after_ms = "1"}), "1");
  EXPECT_EQ(retry_after({.retry_after_ms = "0"}), "0");
  EXPECT_EQ(retry_after({.retry_after_ms = "2500.5"}), "3");
  // The milliseconds are the more precise of the two headers.
  EXPECT_EQ(retry_after({.retry_after = "9", .retry_after_ms = "1200"}), "2");
  // What is not a number of milliseconds is passed over for the next hint.
  EXPECT_EQ(retry_after({.retry_after = "9", .retry_after_ms = "soon"}), "9");
  EXPECT_EQ(retry_after({.retry_after_ms = "-5"}), "6");
  EXPECT_EQ(retry_after({.retry_after_ms = "1e99"}), "6");
  EXPECT_EQ(retry_after({.retry_after_ms = ""}), "6");
  // Not retryable: no delay, whatever the headers say.
  EXPECT_EQ(A().ClassifyError(400, {.retry_after_ms = "1000"}, Data("error_content_filter.json"))
                .retry_after,
            "");
}

}  // namespace
}  // namespace edge::providers::azure
