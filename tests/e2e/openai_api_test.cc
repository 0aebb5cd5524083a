// The OpenAI-compatible API as a client sees it: answers, errors and edge headers.

#include <gtest/gtest.h>

#include "tests/e2e/harness/cluster.h"
#include "tests/e2e/harness/json.h"

namespace edge::e2e {
namespace {

class OpenAiApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fake_ = new FakeOpenAI(*dir_);
    ASSERT_TRUE(fake_->ok()) << fake_->process().Stderr();
    std::string base = "http://127.0.0.1:" + std::to_string(fake_->port()) + "/v1";
    std::string models = StandardModels(
        fake_->port(), OpenAiDeployment("chat-429", "gpt-4o-mini@429", base) +
                           OpenAiDeployment("chat-500", "gpt-4o-mini@500", base) +
                           OpenAiDeployment("chat-down", "gpt-4o-mini", "http://127.0.0.1:1/v1"));
    node_ = new Node(*dir_, TestConfig(models, "  max_body_bytes: 1048576\n"));
    ASSERT_TRUE(node_->ok()) << node_->process().Stderr();
  }
  static void TearDownTestSuite() {
    delete node_;
    delete fake_;
    delete dir_;
  }
  uint16_t port() const { return node_->port(); }

  static TempDir* dir_;
  static FakeOpenAI* fake_;
  static Node* node_;
};
TempDir* OpenAiApi::dir_;
FakeOpenAI* OpenAiApi::fake_;
Node* OpenAiApi::node_;

void ExpectOpenAiError(const Response& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_NE(r.body.find("\"error\":{\"message\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"type\":"), std::string::npos) << r.body;
  if (!code.empty()) {
    EXPECT_NE(r.body.find("\"code\":\"" + code + "\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(r.Header("x-edge-request-id").size(), 24u);
  EXPECT_EQ(r.Header("x-edge-node"), "e2e-node");
}

TEST_F(OpenAiApi, NonStreamingChatIsProxiedWithUsageAndEdgeHeaders) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"object\":\"chat.completion\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"usage\""), std::string::npos);
  EXPECT_EQ(r->Header("x-edge-node"), "e2e-node");
  EXPECT_EQ(r->Header("x-edge-region"), "eu-west");
  EXPECT_EQ(r->Header("x-edge-jurisdiction"), "EU; source=node");
  EXPECT_EQ(r->Header("x-edge-deployment"), DeploymentId(*node_, 0));
  EXPECT_FALSE(r->Header("x-edge-endpoint-region").empty());
  EXPECT_EQ(r->Header("x-edge-attempts"), "1");
  EXPECT_EQ(r->Header("x-edge-request-id").size(), 24u);
  ASSERT_FALSE(r->Header("x-edge-overhead-us").empty());
  EXPECT_GE(std::stol(r->Header("x-edge-overhead-us")), 0);

  // The upstream got the deployment's model and key, not the alias and the client's key.
  std::string last = fake_->LastRequestJson();
  EXPECT_NE(last.find("gpt-4o-mini"), std::string::npos) << last;
  EXPECT_NE(last.find("Bearer sk-upstream-secret"), std::string::npos) << last;
  EXPECT_EQ(last.find(kTestKey), std::string::npos) << last;
}

TEST_F(OpenAiApi, XApiKeyIsAcceptedToo) {
  auto r = Request(port(), "POST", "/v1/chat/completions",
                   {{"x-api-key", kTestKey}, {"Content-Type", "application/json"}},
                   ChatBody("chat", false));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(OpenAiApi, Embeddings) {
  auto r = Request(port(), "POST", "/v1/embeddings", AuthHeaders(),
                   R"({"model":"embed","input":["hello edge","second"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"embedding\""), std::string::npos) << r->body;
  EXPECT_EQ(r->Header("x-edge-deployment"), DeploymentId(*node_, 1));
  EXPECT_NE(fake_->LastRequestJson().find("text-embedding-3-small"), std::string::npos);
}

TEST_F(OpenAiApi, ModelsListsTheAliasesTheKeyMayUse) {
  auto r = Request(port(), "GET", "/v1/models", AuthHeaders());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"object\":\"list\""), std::string::npos);
  EXPECT_NE(r->body.find("\"id\":\"chat\""), std::string::npos);
  EXPECT_NE(r->body.find("\"id\":\"embed\""), std::string::npos);
  // Where the caller was placed, and by which rule, as on every answer (the contract's sources).
  const std::string jurisdiction = r->Header("x-edge-jurisdiction");
  EXPECT_NE(jurisdiction.find("; source="), std::string::npos) << jurisdiction;
  const std::string source = jurisdiction.substr(jurisdiction.find("source=") + 7);
  EXPECT_TRUE(source == "key" || source == "ip" || source == "node" || source == "header")
      << jurisdiction;

  auto limited = Request(port(), "GET", "/v1/models", {{"Authorization", "Bearer sk-limited"}});
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 200);
  EXPECT_EQ(limited->body.find("\"id\":\"chat\""), std::string::npos) << limited->body;
  EXPECT_NE(limited->body.find("\"id\":\"embed\""), std::string::npos);
}

TEST_F(OpenAiApi, BadJsonIs400) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), "{\"model\": \"chat\", ");
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 400, "");
  auto not_utf8 = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(),
                          "{\"model\":\"chat\",\"messages\":\"\xff\xfe\"}");
  ASSERT_TRUE(not_utf8);
  ExpectOpenAiError(*not_utf8, 400, "");
  auto no_model = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), "{\"messages\":[]}");
  ASSERT_TRUE(no_model);
  ExpectOpenAiError(*no_model, 400, "");
}

TEST_F(OpenAiApi, UnknownOrMissingKeyIs401) {
  auto r = Request(port(), "POST", "/v1/chat/completions", {{"Authorization", "Bearer sk-nope"}},
                   ChatBody("chat", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 401, "invalid_api_key");
  auto missing = Request(port(), "POST", "/v1/chat/completions", {}, ChatBody("chat", false));
  ASSERT_TRUE(missing);
  ExpectOpenAiError(*missing, 401, "");
}

TEST_F(OpenAiApi, UnknownModelIs404AndForbiddenModelIs403) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("gpt-9", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 404, "model_not_found");
  auto forbidden = Request(port(), "POST", "/v1/chat/completions",
                           {{"Authorization", "Bearer sk-limited"}}, ChatBody("chat", false));
  ASSERT_TRUE(forbidden);
  ExpectOpenAiError(*forbidden, 403, "model_not_allowed");
}

TEST_F(OpenAiApi, UnknownPathIs404InOpenAiShape) {
  auto r = Request(port(), "GET", "/v1/nothing-here", AuthHeaders());
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 404, "");
  auto admin = Request(port(), "GET", "/healthz");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 404) << "admin paths are not served on the client listener";
}

TEST_F(OpenAiApi, BodyTooLargeIs413) {
  std::string big = ChatBody("chat", false, false, std::string(2 << 20, 'a'));
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), big);
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 413, "");
}

TEST_F(OpenAiApi, OversizedHeadersAre431) {
  auto r = Request(port(), "GET", "/v1/models",
                   {{"Authorization", std::string("Bearer ") + kTestKey},
                    {"X-Big", std::string(70 * 1024, 'x')}});
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 431, "");
}

TEST_F(OpenAiApi, InvalidTagIs400) {
  auto headers = AuthHeaders();
  headers["X-Edge-Team"] = "has space";
  auto r = Request(port(), "POST", "/v1/chat/completions", headers, ChatBody("chat", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 400, "invalid_tag");
}

TEST_F(OpenAiApi, UpstreamRateLimitIs429WithRetryAfter) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat-429", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 429, "");
  EXPECT_FALSE(r->Header("retry-after").empty());
}

TEST_F(OpenAiApi, UpstreamServerErrorIs502) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat-500", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 502, "");
}

TEST_F(OpenAiApi, UnreachableUpstreamIs502NamingTheCause) {
  auto r = Request(port(), "POST", "/v1/chat/completions", AuthHeaders(), ChatBody("chat-down", false));
  ASSERT_TRUE(r);
  ExpectOpenAiError(*r, 502, "");
  EXPECT_NE(r->body.find("chat-down/"), std::string::npos) << r->body;
}

// A body whose "model" already names the deployment's model goes upstream byte for byte (the
// node does not parse it a second time to rewrite it); another alias has only its "model"
// value replaced, every other byte (spacing, member order, unknown members) kept.
TEST(OpenAiPassthrough, BodyGoesUpstreamUnchangedUnlessTheModelDiffers) {
  TempDir dir;
  FakeOpenAI fake(dir);
  ASSERT_TRUE(fake.ok()) << fake.process().Stderr();
  const std::string base = "http://127.0.0.1:" + std::to_string(fake.port()) + "/v1";
  Node node(dir, TestConfig(StandardModels(
                     fake.port(), OpenAiDeployment("gpt-4o-mini", "gpt-4o-mini", base))));
  ASSERT_TRUE(node.ok()) << node.process().Stderr();
  auto upstream_body = [&](const std::string& body) {
    auto r = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), body);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return JsonString(ParseJson(fake.LastRequestJson()), "body");
  };
  const std::string rest =
      R"( ,  "messages" : [{"role":"user","content":"caf\u00e9 \"x\""}], "x_vendor": {"a":1} })";
  const std::string same = R"({ "model" :"gpt-4o-mini")" + rest;
  EXPECT_EQ(upstream_body(same), same);
  EXPECT_EQ(upstream_body(R"({ "model" :"chat")" + rest), same);
  // The same model spelled with an escape is the same JSON string: it passes as it came
  // (a rewrite would have respelled it).
  const std::string escaped = R"({"model":"gpt\u002d4o-mini","messages":[]})";
  EXPECT_EQ(upstream_body(escaped), escaped);
  // Streaming asks the upstream for usage: that body is rewritten even when the model matches.
  const std::string streamed = R"({"model":"gpt-4o-mini","stream":true,"messages":[]})";
  auto r = Request(node.port(), "POST", "/v1/chat/completions", AuthHeaders(), streamed);
  ASSERT_TRUE(r);
  EXPECT_NE(JsonString(ParseJson(fake.LastRequestJson()), "body").find(R"("include_usage":true)"),
            std::string::npos);
}

}  // namespace
}  // namespace edge::e2e
