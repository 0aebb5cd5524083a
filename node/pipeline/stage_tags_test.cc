// stage_tags over a fake exchange: the key's defaults, the X-Edge-Team / -Feature / -Env /
// -Tags overrides in any case (the first field of a name wins), look-alike names ignored,
// and the 400 naming the first invalid field.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "node/pipeline/stage_test_util.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

using testing::FakeExchange;

std::shared_ptr<const runtime::Snapshot> MakeSnapshot() {
  std::string yaml =
      "node: {id: n}\n"
      "geo: {database: \"" +
      std::string(EDGE_GEO_TEST_DIR) +
      "/geoip2-country.mmdb\"}\n"
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, api_key: k}\n"
      "keys:\n"
      "  - {id: k, team: search, feature: chat, env: prod, key_sha256: \"" +
      std::string(64, 'a') + "\"}\n";
  return testing::SnapshotFromYaml(yaml);
}

struct Outcome {
  Next next;
  Tags tags;
  int status = 0;
  std::string body;
};

Outcome Resolve(std::vector<std::pair<std::string, std::string>> headers) {
  runtime::SnapshotSource snapshots(MakeSnapshot());
  WorkerServices services;
  services.snapshots = &snapshots;
  FakeExchange ex;
  for (auto& [k, v] : headers) ex.req.headers.Add(k, v);
  RequestContext ctx(services, ex, Api::kChatCompletions);
  ctx.key = &ctx.snapshot->config.keys.front();
  Outcome o;
  o.next = ResolveTags(ctx);
  o.tags = ctx.tags;
  o.status = ex.status;
  o.body = ex.body;
  return o;
}

TEST(StageTags, TheKeysDefaultsWithoutHeaders) {
  Outcome o = Resolve({{"Content-Type", "application/json"}, {"X-Edge-Other", "x"}});
  ASSERT_EQ(o.next, Next::kContinue);
  EXPECT_EQ(o.tags.team, "search");
  EXPECT_EQ(o.tags.feature, "chat");
  EXPECT_EQ(o.tags.env, "prod");
  EXPECT_EQ(o.tags.extra, "");
}

TEST(StageTags, HeadersOverrideInAnyCaseAndTheFirstOfANameWins) {
  Outcome o = Resolve({{"x-EDGE-feature", "summarize"},
                       {"X-Edge-Env", "qa"},
                       {"X-Edge-Feature", "ignored"},
                       {"X-EDGE-TAGS", "customer=acme,ticket=T-1"},
                       {"x-edge-team", "ads"}});
  ASSERT_EQ(o.next, Next::kContinue);
  EXPECT_EQ(o.tags.team, "ads");
  EXPECT_EQ(o.tags.feature, "summarize");
  EXPECT_EQ(o.tags.env, "qa");
  EXPECT_EQ(o.tags.extra, "customer=acme,ticket=T-1");
}

TEST(StageTags, LookAlikeNamesAreNotTags) {
  Outcome o = Resolve({{"X-Edge-Teams", "a"},
                       {"X-Edge-Tag", "k=v"},
                       {"X-Edgeteam", "b"},
                       {"Y-Edge-Env", "c"},
                       {"X-Edge-Environment", "d"},
                       {"X-Edge-", "e"}});
  ASSERT_EQ(o.next, Next::kContinue);
  EXPECT_EQ(o.tags.team, "search");
  EXPECT_EQ(o.tags.env, "prod");
  EXPECT_EQ(o.tags.extra, "");
}

TEST(StageTags, AnInvalidValueIsA400NamingItsField) {
  Outcome bad_env = Resolve({{"X-Edge-Env", "has space"}, {"X-Edge-Tags", "nope"}});
  EXPECT_EQ(bad_env.next, Next::kReplied);
  EXPECT_EQ(bad_env.status, 400);
  EXPECT_NE(bad_env.body.find("Invalid x-edge-env"), std::string::npos) << bad_env.body;
  EXPECT_NE(bad_env.body.find("invalid_tag"), std::string::npos) << bad_env.body;
  // The team is checked before the feature, whatever the fields' order.
  Outcome both = Resolve({{"X-Edge-Feature", "bad value"}, {"X-Edge-Team", "bad/team"}});
  EXPECT_NE(both.body.find("Invalid x-edge-team"), std::string::npos) << both.body;
  Outcome tags = Resolve({{"X-Edge-Tags", "customer"}});
  EXPECT_EQ(tags.status, 400);
  EXPECT_NE(tags.body.find("Invalid X-Edge-Tags"), std::string::npos) << tags.body;
}

}  // namespace
}  // namespace edge::pipeline
