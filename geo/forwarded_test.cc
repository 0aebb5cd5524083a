#include <gtest/gtest.h>

#include "geo/geo.h"

namespace edge::geo {
namespace {

IpAddress Ip(std::string_view s) {
  IpAddress a;
  EXPECT_TRUE(ParseIp(s, &a)) << s;
  return a;
}

CidrSet Trusted(std::initializer_list<std::string_view> cidrs) {
  CidrSet set;
  for (auto c : cidrs) EXPECT_TRUE(set.Add(c).ok()) << c;
  return set;
}

// The client as seen by a node whose peer is `peer`, with the trusted proxies below.
std::string XffClient(std::string_view peer, std::initializer_list<std::string_view> fields) {
  ForwardedHops hops;
  for (auto f : fields) hops.AddXForwardedFor(f);
  return ToString(hops.Client(Ip(peer), Trusted({"10.0.0.0/8", "2001:db8:ffff::/48"})));
}

std::string FwdClient(std::string_view peer, std::initializer_list<std::string_view> fields) {
  ForwardedHops hops;
  for (auto f : fields) hops.AddForwarded(f);
  return ToString(hops.Client(Ip(peer), Trusted({"10.0.0.0/8", "2001:db8:ffff::/48"})));
}

TEST(XForwardedFor, RightToLeftSkippingTrustedProxies) {
  EXPECT_EQ(XffClient("10.0.0.1", {"85.214.0.1"}), "85.214.0.1");
  // The client may send its own X-Forwarded-For: the proxy appends, so the spoofed value is
  // left of the first untrusted address and never read.
  EXPECT_EQ(XffClient("10.0.0.1", {"8.8.8.8, 85.214.0.1"}), "85.214.0.1");
  EXPECT_EQ(XffClient("10.0.0.1", {"8.8.8.8, 85.214.0.1, 10.1.2.3"}), "85.214.0.1");
  EXPECT_EQ(XffClient("10.0.0.1", {"8.8.8.8, 85.214.0.1", "10.1.2.3, 10.9.9.9"}), "85.214.0.1");
  // Every hop trusted: the leftmost is the best-known caller.
  EXPECT_EQ(XffClient("10.0.0.1", {"10.1.1.1, 10.2.2.2"}), "10.1.1.1");
  // No header from a trusted peer: the peer.
  EXPECT_EQ(XffClient("10.0.0.1", {}), "10.0.0.1");
}

TEST(XForwardedFor, Ipv6AndPortsAndMapped) {
  EXPECT_EQ(XffClient("10.0.0.1", {"2a01:4f8::1"}), "2a01:4f8::1");
  EXPECT_EQ(XffClient("10.0.0.1", {"[2a01:4f8::1]:443"}), "2a01:4f8::1");
  EXPECT_EQ(XffClient("10.0.0.1", {"[2a01:4f8::1]"}), "2a01:4f8::1");
  EXPECT_EQ(XffClient("10.0.0.1", {"85.214.0.1:5555"}), "85.214.0.1");
  EXPECT_EQ(XffClient("10.0.0.1", {"::ffff:85.214.0.1"}), "85.214.0.1");
  // A trusted IPv6 proxy between.
  EXPECT_EQ(XffClient("2001:db8:ffff::1", {"2a01:4f8::1, 2001:db8:ffff::2"}), "2a01:4f8::1");
  // An IPv4-mapped trusted proxy is the IPv4 proxy.
  EXPECT_EQ(XffClient("::ffff:10.0.0.1", {"85.214.0.1, ::ffff:10.0.0.7"}), "85.214.0.1");
}

TEST(XForwardedFor, MalformedHopsAreNeverTrusted) {
  // A hop we cannot read ends the walk: the caller cannot be placed.
  for (std::string_view bad : {"garbage", "unknown", "1.2.3", "1.2.3.4.5", "999.1.1.1",
                               "01.2.3.4", "[1.2.3.4]", "[2a01:4f8::1", "2a01:4f8::1]:80",
                               "1.2.3.4:99999", "1.2.3.4:", "[::1]x", "fe80::1%eth0",
                               "1.2.3.4 5.6.7.8", "\"85.214.0.1\""}) {
    EXPECT_EQ(XffClient("10.0.0.1", {bad}), "") << bad;
    EXPECT_EQ(XffClient("10.0.0.1", {std::string("8.8.8.8, ") + std::string(bad)}), "") << bad;
  }
  // Garbage left of the client is never reached.
  EXPECT_EQ(XffClient("10.0.0.1", {"garbage, 85.214.0.1"}), "85.214.0.1");
  // Empty list elements are allowed by the list syntax and skipped.
  EXPECT_EQ(XffClient("10.0.0.1", {" , 85.214.0.1 ,, "}), "85.214.0.1");
  EXPECT_EQ(XffClient("10.0.0.1", {""}), "10.0.0.1");
}

TEST(Forwarded, Rfc7239Examples) {
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=85.214.0.1"}), "85.214.0.1");
  EXPECT_EQ(FwdClient("10.0.0.1", {"For=\"[2a01:4f8::17]:4711\""}), "2a01:4f8::17");
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=192.0.2.43, for=198.51.100.17"}), "198.51.100.17");
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=85.214.0.1;proto=http;by=203.0.113.43"}), "85.214.0.1");
  EXPECT_EQ(FwdClient("10.0.0.1", {"proto=https;for=\"85.214.0.1:80\";host=\"a,b;c\""}),
            "85.214.0.1");
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=8.8.8.8, for=85.214.0.1;by=_lb, for=10.3.3.3"}),
            "85.214.0.1");
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=8.8.8.8", "for=85.214.0.1"}), "85.214.0.1");
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=\"\\[2a01:4f8::1\\]\""}), "2a01:4f8::1");  // quoted-pair
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=85.214.0.1 ; proto=http , for=10.1.1.1"}),
            "85.214.0.1");
}

TEST(Forwarded, UnknownObfuscatedAndMalformedEndTheWalk) {
  for (std::string_view bad :
       {"for=unknown", "for=_hidden", "for=\"_gazonk\"", "for=\"unknown:80\"",
        "for=2a01:4f8::1",           // IPv6 must be quoted and bracketed
        "for=\"2a01:4f8::1\"",       // ... bracketed
        "for=[2a01:4f8::1]",         // ... quoted
        "for=\"85.214.0.1",          // unterminated
        "for=85.214.0.1;for=8.8.8.8", // repeated parameter
        "proto=http",                // no for
        "for=", "=85.214.0.1", "for=85.214.0.1 junk", "for=\"85.214.0.1:x\"",
        "for=\"[2a01:4f8::1]:99999\"", "for=\"\x01\""}) {
    EXPECT_EQ(FwdClient("10.0.0.1", {bad}), "") << bad;
    EXPECT_EQ(FwdClient("10.0.0.1", {std::string("for=8.8.8.8, ") + std::string(bad)}), "")
        << bad;
  }
  // Obfuscated ports are fine: the address is still there.
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=\"85.214.0.1:_p1\""}), "85.214.0.1");
  // Left of the client, anything goes.
  EXPECT_EQ(FwdClient("10.0.0.1", {"for=unknown, for=85.214.0.1"}), "85.214.0.1");
}

TEST(Forwarded, PreferredOverXForwardedFor) {
  ForwardedHops hops;
  hops.AddXForwardedFor("8.8.8.8");
  hops.AddForwarded("for=85.214.0.1");
  EXPECT_EQ(ToString(hops.Client(Ip("10.0.0.1"), Trusted({"10.0.0.0/8"}))), "85.214.0.1");
  hops.Clear();
  hops.AddXForwardedFor("8.8.8.8");
  EXPECT_EQ(ToString(hops.Client(Ip("10.0.0.1"), Trusted({"10.0.0.0/8"}))), "8.8.8.8");
}

TEST(ForwardedHops, LongChainsAreBounded) {
  ForwardedHops hops;
  std::string chain = "85.214.0.1";
  for (int i = 0; i < 40; ++i) chain += ", 10.0.0." + std::to_string(i);
  hops.AddXForwardedFor(chain);
  // 40 trusted hops: more than the ring holds, so the client is out of reach.
  EXPECT_FALSE(hops.Client(Ip("10.0.0.1"), Trusted({"10.0.0.0/8"})).valid());
  hops.Clear();
  chain = "8.8.8.8";
  for (int i = 0; i < 1000; ++i) chain += ", 85.214.0." + std::to_string(i % 250);
  hops.AddXForwardedFor(chain);
  EXPECT_EQ(ToString(hops.Client(Ip("10.0.0.1"), Trusted({"10.0.0.0/8"}))), "85.214.0.249");
}

}  // namespace
}  // namespace edge::geo
