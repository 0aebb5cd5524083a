#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "providers/bedrock/sigv4.h"

namespace edge::providers::bedrock {
namespace {

// The signature of SignRequestAddsHeadersThatVerify's request as computed by an independent
// implementation (Python's hmac and hashlib, in tests/fakes/fake_bedrock.py's verifier).
constexpr std::string_view kCrossChecked =
    "1e8718edab010aabc9eb4ed932ae8bb5998719a44b2c03b53bb6d73b7457b4b8";

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

TEST(SigV4, PublishedTestSuite) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.load(EDGE_SOURCE_DIR "/providers/bedrock/testdata/sigv4_suite.json").get(doc),
            simdjson::SUCCESS);
  SigV4Scope scope{Str(doc, "region"), Str(doc, "service"), 0};
  ASSERT_EQ(doc["unix_s"].get_int64().get(scope.unix_s), simdjson::SUCCESS);
  SigV4Credentials creds{Str(doc, "access_key_id"), Str(doc, "secret_access_key"), ""};
  simdjson::dom::array cases;
  ASSERT_EQ(doc["cases"].get_array().get(cases), simdjson::SUCCESS);
  int n = 0;
  for (simdjson::dom::element c : cases) {
    const std::string name = Str(c, "name");
    SCOPED_TRACE(name);
    const std::string method = Str(c, "method"), path = Str(c, "path"), query = Str(c, "query");
    const std::string body_hash = Sha256Hex(Str(c, "body"));
    SigV4Request req{method, path, query, {}, body_hash};
    simdjson::dom::array headers;
    ASSERT_EQ(c["headers"].get_array().get(headers), simdjson::SUCCESS);
    for (simdjson::dom::element h : headers) {
      std::string_view k, v;
      ASSERT_EQ(h.at(0).get_string().get(k), simdjson::SUCCESS);
      ASSERT_EQ(h.at(1).get_string().get(v), simdjson::SUCCESS);
      req.headers.emplace_back(std::string(k), std::string(v));
    }
    const std::string creq = CanonicalRequest(req);
    if (!Str(c, "canonical_request").empty()) {
      EXPECT_EQ(creq, Str(c, "canonical_request"));
    }
    const std::string sts = StringToSign(scope, creq);
    if (!Str(c, "string_to_sign").empty()) {
      EXPECT_EQ(sts, Str(c, "string_to_sign"));
    }
    EXPECT_EQ(SignedHeaders(req), Str(c, "signed_headers"));
    EXPECT_EQ(Signature(scope, creds.secret_access_key, sts), Str(c, "signature"));
    EXPECT_EQ(Authorization(req, scope, creds),
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders=" +
                  Str(c, "signed_headers") + ", Signature=" + Str(c, "signature"));
    ++n;
  }
  EXPECT_GE(n, 20);
}

TEST(SigV4, Sha256AndDate) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(AmzDate(1440938160), "20150830T123600Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

TEST(SigV4, CanonicalUriEncodesTheSentPathAgain) {
  // Bedrock's SDKs send ':' as %3A in the model id; the canonical URI encodes that once more.
  EXPECT_EQ(CanonicalUri("/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse"),
            "/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse");
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c//"), "/a/c/");
  EXPECT_EQ(CanonicalUri("/../.."), "/");
}

TEST(SigV4, CanonicalQuery) {
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQuery("flag&x=a b"), "flag=&x=a%20b");
  EXPECT_EQ(CanonicalQuery("k=%7e%2f"), "k=~%2F");      // normalized hex and unreserved
  EXPECT_EQ(CanonicalQuery("k=%zz%4"), "k=%25zz%254");  // broken escapes kept as text
  EXPECT_EQ(CanonicalQuery("&&a=1&"), "a=1");
}

TEST(SigV4, SignRequestAddsHeadersThatVerify) {
  SigV4Scope scope{"eu-central-1", "bedrock", 1767225600};  // 2026-01-01T00:00:00Z
  SigV4Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN"};
  std::vector<std::pair<std::string, std::string>> out;
  const std::string body = R"({"messages":[]})";
  ASSERT_TRUE(SignRequest("POST", "/model/m%3A0/converse?x=1",
                          "bedrock-runtime.eu-central-1.amazonaws.com", body,
                          {{"Content-Type", "application/json"}}, scope, creds, &out)
                  .ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"X-Amz-Date", "20260101T000000Z"}));
  EXPECT_EQ(out[1].first, "X-Amz-Content-Sha256");
  EXPECT_EQ(out[1].second, Sha256Hex(body));
  EXPECT_EQ(out[2], (std::pair<std::string, std::string>{"X-Amz-Security-Token", "TOKEN"}));
  EXPECT_EQ(out[3].first, "Authorization");

  SigV4Request req{"POST", "/model/m%3A0/converse", "x=1", {}, out[1].second};
  req.headers = {{"host", "bedrock-runtime.eu-central-1.amazonaws.com"},
                 {"content-type", "application/json"}};
  req.headers.insert(req.headers.end(), out.begin(), out.begin() + 3);
  EXPECT_EQ(out[3].second, Authorization(req, scope, creds));
  EXPECT_NE(out[3].second.find("Credential=AKIDEXAMPLE/20260101/eu-central-1/bedrock/aws4_request, "
                               "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                               "x-amz-security-token, Signature="),
            std::string::npos);
  // Cross-checked with an independent implementation (Python's hmac/hashlib, the
  // verifier of tests/fakes/fake_bedrock.py).
  EXPECT_EQ(out[3].second.substr(out[3].second.size() - 64), kCrossChecked);
}

TEST(SigV4, MissingCredentials) {
  std::vector<std::pair<std::string, std::string>> out;
  SigV4Scope scope{"us-east-1", "bedrock", 0};
  EXPECT_EQ(SignRequest("POST", "/", "h", "", {}, scope, {}, &out).code(),
            Code::kFailedPrecondition);
  scope.region.clear();
  EXPECT_EQ(SignRequest("POST", "/", "h", "", {}, scope, {"a", "b", ""}, &out).code(),
            Code::kFailedPrecondition);
  scope.region = "us-east-1";
  EXPECT_EQ(SignRequest("POST", "/", "", "", {}, scope, {"a", "b", ""}, &out).code(),
            Code::kFailedPrecondition);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace edge::providers::bedrock
