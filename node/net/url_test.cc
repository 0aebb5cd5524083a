#include <gtest/gtest.h>

#include "node/net/upstream_client.h"

namespace edge::net {
namespace {

TEST(ParseUrlTest, HttpsDefaultPortAndPathPrefix) {
  auto r = ParseUrl("https://api.openai.com/v1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->origin.https);
  EXPECT_EQ(r->origin.host, "api.openai.com");
  EXPECT_EQ(r->origin.port, 443);
  EXPECT_EQ(r->path, "/v1");
}

TEST(ParseUrlTest, HttpDefaultPortNoPath) {
  auto r = ParseUrl("http://localhost");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->origin.https);
  EXPECT_EQ(r->origin.host, "localhost");
  EXPECT_EQ(r->origin.port, 80);
  EXPECT_EQ(r->path, "");
}

TEST(ParseUrlTest, ExplicitPortTrailingSlashesAndCase) {
  auto r = ParseUrl("HTTP://Example.COM:8080/openai/deployments/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->origin.host, "example.com");
  EXPECT_EQ(r->origin.port, 8080);
  EXPECT_EQ(r->path, "/openai/deployments");
  auto root = ParseUrl("http://127.0.0.1:9/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->origin.host, "127.0.0.1");
  EXPECT_EQ(root->path, "");
}

TEST(ParseUrlTest, Ipv6Literal) {
  auto r = ParseUrl("http://[::1]:8443/v1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->origin.host, "::1");
  EXPECT_EQ(r->origin.port, 8443);
  EXPECT_EQ(r->path, "/v1");
  auto d = ParseUrl("https://[2001:DB8::1]");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->origin.host, "2001:db8::1");
  EXPECT_EQ(d->origin.port, 443);
}

TEST(ParseUrlTest, Errors) {
  struct Case {
    const char* url;
    const char* why;
  } cases[] = {
      {"", "scheme"},
      {"ftp://host/", "scheme"},
      {"api.openai.com/v1", "scheme"},
      {"https://", "missing host"},
      {"https:///v1", "missing host"},
      {"http://host:/", "empty port"},
      {"http://host:0", "invalid port"},
      {"http://host:65536", "invalid port"},
      {"http://host:12ab", "invalid port"},
      {"http://[::1/v1", "missing ']'"},
      {"http://[::1]x", "after ']'"},
      {"http://[nope]:80", "invalid IPv6"},
      {"http://user:pw@host/", "credentials"},
      {"http://ho st/", "space"},
      {"http://host/v1?x=1", "query"},
      {"http://host/v1#f", "query"},
      {"http://ho$t/", "invalid character"},
      {"http://a:b:c/", "invalid"},
  };
  for (const auto& c : cases) {
    auto r = ParseUrl(c.url);
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.why), std::string::npos)
        << c.url << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace edge::net
