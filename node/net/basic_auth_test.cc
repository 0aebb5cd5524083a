#include "node/net/basic_auth.h"

#include <gtest/gtest.h>

namespace edge::net {
namespace {

// base64("admin:s3cret") = YWRtaW46czNjcmV0
TEST(BasicAuth, ReadsUserAndPassword) {
  auto c = ParseBasicAuth("Basic YWRtaW46czNjcmV0");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->user, "admin");
  EXPECT_EQ(c->password, "s3cret");
}

TEST(BasicAuth, SchemeAnyCaseAndSeveralSpaces) {
  auto c = ParseBasicAuth("bAsIc   YWRtaW46czNjcmV0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->password, "s3cret");
}

TEST(BasicAuth, PasswordKeepsLaterColonsAndUserMayBeEmpty) {
  // base64(":a:b") = OmE6Yg==
  auto c = ParseBasicAuth("Basic OmE6Yg==");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "a:b");
  // base64("u:") = dTo=  (an empty password is well-formed; the key check refuses it)
  c = ParseBasicAuth("Basic dTo=");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->password, "");
}

TEST(BasicAuth, MalformedIsAnError) {
  for (const char* bad : {
           "",
           "Basic",
           "Basic ",
           "Basic    ",
           "Basics YWRtaW46czNjcmV0",
           "Bearer YWRtaW46czNjcmV0",
           "BasicYWRtaW46czNjcmV0",
           "Basic\tYWRtaW46czNjcmV0",
           "Basic YWRtaW46czNjcmV0 ",        // trailing space
           "Basic YWRtaW46czNjcmV",          // not a multiple of 4
           "Basic YWRtaW46czNjcmV0====",     // too much padding
           "Basic YWRt=W46czNjcmV0",         // padding inside
           "Basic YWRtaW46czNj*mV0",         // outside the alphabet
           "Basic YWRtaW46-zNjcmV0",         // base64url is not Basic's alphabet
           "Basic YWRtaW4=",                 // "admin": no colon
           "Basic YTpiAGM=",                 // "a:b\0c": control character
           "Basic YQpiOmM=",                 // "a\nb:c"
           "Basic ====",
       }) {
    EXPECT_FALSE(ParseBasicAuth(bad).ok()) << "'" << bad << "'";
  }
}

TEST(BasicAuth, LongHeaderRefusedBeforeDecoding) {
  std::string h = "Basic " + std::string(kMaxBasicHeader, 'A');
  EXPECT_FALSE(ParseBasicAuth(h).ok());
}

TEST(BasicAuth, IsBasicScheme) {
  EXPECT_TRUE(IsBasicScheme("Basic abc"));
  EXPECT_TRUE(IsBasicScheme("basic"));
  EXPECT_FALSE(IsBasicScheme("Bearer x"));
  EXPECT_FALSE(IsBasicScheme("Basically x"));
}

}  // namespace
}  // namespace edge::net
