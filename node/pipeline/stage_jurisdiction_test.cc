// stage_jurisdiction over a fake exchange: precedence (key > ip > node), the trusted-proxy
// rules, the geo.unknown_caller modes, X-Edge-Residency narrowing and its 403. The database
// is the geo tests' (85.214.0.0/16, 2a01:4f8::/32 DE; 8.8.8.0/24 US; 133.0.0.0/8 JP).

#include <gtest/gtest.h>

#include "node/pipeline/stage_test_util.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {
namespace {

using testing::FakeExchange;

std::shared_ptr<const runtime::Snapshot> MakeSnapshot(const std::string& geo_yaml) {
  std::string yaml =
      "node: {id: n, jurisdiction: US}\n"
      "geo: " + geo_yaml + "\n"
      "jurisdictions:\n  EU: {countries: [DE, FR], pinned: true}\n  US: {countries: [US]}\n"
      "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, api_key: k}\n"
      "keys:\n"
      "  - {id: plain, key_sha256: \"" + std::string(64, 'a') + "\"}\n"
      "  - {id: eu, residency: EU, key_sha256: \"" + std::string(64, 'b') + "\"}\n";
  return testing::SnapshotFromYaml(yaml);
}

const std::string kDb = std::string(EDGE_GEO_TEST_DIR) + "/geoip2-country.mmdb";
const std::string kTrustLoopback =
    "{database: \"" + kDb + "\", trusted_proxies: [\"127.0.0.1\", \"10.0.0.0/8\", \"fd00::/8\"]}";

struct Outcome {
  Next next;
  std::string jurisdiction;  // "EU; source=ip"
  int status = 0;
  std::string body;
};

Outcome Classify(const std::string& geo_yaml, std::string_view peer,
                 std::vector<std::pair<std::string, std::string>> headers,
                 const std::string& key_id = "plain") {
  runtime::SnapshotSource snapshots(MakeSnapshot(geo_yaml));
  WorkerServices services;
  services.snapshots = &snapshots;
  FakeExchange ex(peer);
  for (auto& [k, v] : headers) ex.req.headers.Add(k, v);
  RequestContext ctx(services, ex, Api::kChatCompletions);
  for (const auto& k : ctx.snapshot->config.keys) {
    if (k.id == key_id) ctx.key = &k;
  }
  Outcome o;
  o.next = ClassifyJurisdiction(ctx);
  o.jurisdiction = ctx.jurisdiction.name + "; source=" + ctx.jurisdiction.source;
  o.status = ex.status;
  o.body = ex.body;
  return o;
}

TEST(StageJurisdiction, PrecedenceKeyThenIpThenNode) {
  EXPECT_EQ(Classify(kTrustLoopback, "85.214.0.1", {}).jurisdiction, "EU; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "85.214.0.1", {}, "eu").jurisdiction, "EU; source=key");
  EXPECT_EQ(Classify(kTrustLoopback, "8.8.8.8", {}, "eu").jurisdiction, "EU; source=key");
  EXPECT_EQ(Classify(kTrustLoopback, "8.8.8.8", {}).jurisdiction, "US; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "133.1.2.3", {}).jurisdiction, "; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "192.168.1.1", {}).jurisdiction, "US; source=node");
  EXPECT_EQ(Classify(kTrustLoopback, "2a01:4f8::1", {}).jurisdiction, "EU; source=ip");
}

TEST(StageJurisdiction, ForwardedOnlyFromTrustedPeers) {
  EXPECT_EQ(Classify(kTrustLoopback, "127.0.0.1", {{"X-Forwarded-For", "85.214.0.1"}}).jurisdiction,
            "EU; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "fd00::1", {{"x-forwarded-for", "8.8.8.8, 2a01:4f8::1"}})
                .jurisdiction,
            "EU; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "10.0.0.1", {{"Forwarded", "for=\"[2a01:4f8::2]\""}})
                .jurisdiction,
            "EU; source=ip");
  // Two X-Forwarded-For fields are one list: the later field is nearer the node.
  EXPECT_EQ(Classify(kTrustLoopback, "10.0.0.1",
                     {{"X-Forwarded-For", "85.214.0.1"}, {"X-Forwarded-For", "8.8.8.8, 10.2.2.2"}})
                .jurisdiction,
            "US; source=ip");
  // An untrusted peer (a DE address here) is the caller, whatever it claims.
  EXPECT_EQ(Classify(kTrustLoopback, "85.214.0.1", {{"X-Forwarded-For", "8.8.8.8"}}).jurisdiction,
            "EU; source=ip");
  EXPECT_EQ(Classify(kTrustLoopback, "192.168.1.1", {{"Forwarded", "for=85.214.0.1"}})
                .jurisdiction,
            "US; source=node");
}

TEST(StageJurisdiction, UnknownCallerModes) {
  std::string deny = "{database: \"" + kDb + "\", trusted_proxies: [\"127.0.0.1\"], unknown_caller: deny}";
  Outcome o = Classify(deny, "127.0.0.1", {});
  EXPECT_EQ(o.next, Next::kReplied);
  EXPECT_EQ(o.status, 403);
  EXPECT_NE(o.body.find("caller_not_placed"), std::string::npos) << o.body;
  o = Classify(deny, "127.0.0.1", {{"X-Forwarded-For", "85.214.0.1, _hidden"}});
  EXPECT_EQ(o.status, 403);
  EXPECT_EQ(Classify(deny, "127.0.0.1", {{"X-Forwarded-For", "85.214.0.1"}}).jurisdiction,
            "EU; source=ip");
  EXPECT_EQ(Classify(deny, "127.0.0.1", {}, "eu").jurisdiction, "EU; source=key");
  std::string named = "{database: \"" + kDb + "\", unknown_caller: EU}";
  EXPECT_EQ(Classify(named, "127.0.0.1", {}).jurisdiction, "EU; source=node");
  std::string node = "{database: \"" + kDb + "\"}";
  EXPECT_EQ(Classify(node, "127.0.0.1", {}).jurisdiction, "US; source=node");
}

TEST(StageJurisdiction, ResidencyHeaderNarrowsNeverWidens) {
  EXPECT_EQ(Classify(kTrustLoopback, "8.8.8.8", {{"X-Edge-Residency", "EU"}}).jurisdiction,
            "EU; source=header");
  EXPECT_EQ(Classify(kTrustLoopback, "192.168.0.1", {{"X-Edge-Residency", " EU "}}).jurisdiction,
            "EU; source=header");
  EXPECT_EQ(Classify(kTrustLoopback, "85.214.0.1", {{"X-Edge-Residency", "EU"}}).jurisdiction,
            "EU; source=ip");
  Outcome o = Classify(kTrustLoopback, "85.214.0.1", {{"X-Edge-Residency", "US"}});
  EXPECT_EQ(o.status, 403);
  EXPECT_NE(o.body.find("X-Edge-Residency: US conflicts with this caller's pinned jurisdiction "
                        "EU (source=ip)"),
            std::string::npos)
      << o.body;
  o = Classify(kTrustLoopback, "8.8.8.8", {{"X-Edge-Residency", "US"}}, "eu");
  EXPECT_EQ(o.status, 403);
  EXPECT_NE(o.body.find("EU (source=key)"), std::string::npos) << o.body;
  o = Classify(kTrustLoopback, "8.8.8.8", {{"X-Edge-Residency", "Mars"}});
  EXPECT_EQ(o.status, 400);
  EXPECT_NE(o.body.find("invalid_residency"), std::string::npos) << o.body;
  EXPECT_EQ(Classify(kTrustLoopback, "8.8.8.8", {{"X-Edge-Residency", ""}}).jurisdiction,
            "US; source=ip");
}

}  // namespace
}  // namespace edge::pipeline
