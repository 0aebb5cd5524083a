#include "common/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace edge {
namespace {

IpAddress Ip(std::string_view s) {
  IpAddress a;
  EXPECT_TRUE(ParseIp(s, &a)) << s;
  return a;
}

TEST(ParseCidr, NetworksAndHostsOfBothFamilies) {
  IpAddress base;
  int prefix = -1;
  ASSERT_TRUE(ParseCidr("10.1.2.3/8", &base, &prefix).ok());
  EXPECT_EQ(base, Ip("10.0.0.0"));  // host bits cleared
  EXPECT_EQ(prefix, 8);
  ASSERT_TRUE(ParseCidr("192.0.2.7", &base, &prefix).ok());
  EXPECT_EQ(base, Ip("192.0.2.7"));
  EXPECT_EQ(prefix, 32);
  ASSERT_TRUE(ParseCidr("2001:db8:ffff::1/48", &base, &prefix).ok());
  EXPECT_EQ(base, Ip("2001:db8:ffff::"));
  EXPECT_EQ(prefix, 48);
  ASSERT_TRUE(ParseCidr("::1", &base, &prefix).ok());
  EXPECT_EQ(prefix, 128);
  ASSERT_TRUE(ParseCidr("0.0.0.0/0", &base, &prefix).ok());
  EXPECT_EQ(prefix, 0);
  // IPv4-mapped: the IPv4 network it carries.
  ASSERT_TRUE(ParseCidr("::ffff:10.0.0.0/104", &base, &prefix).ok());
  EXPECT_EQ(base, Ip("10.0.0.0"));
  EXPECT_EQ(base.family, IpAddress::Family::kV4);
  EXPECT_EQ(prefix, 8);
}

TEST(ParseCidr, MalformedValuesSayWhatIsWrong) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {Case{"", "not an IP address"}, Case{"/8", "not an IP address"},
                        Case{"10.0.0.0/", "must be a number"}, Case{"10.0.0.0/+8", "must be a number"},
                        Case{"10.0.0.0/-1", "must be a number"}, Case{"10.0.0.0/8x", "must be a number"},
                        Case{"10.0.0.0/8/8", "must be a number"}, Case{"10.0.0.0/33", "at most 32"},
                        Case{"2001:db8::/129", "at most 128"}, Case{"010.0.0.1", "not an IP address"},
                        Case{"10.0.0", "not an IP address"}, Case{"10.0.0.256", "not an IP address"},
                        Case{"[::1]", "not an IP address"}, Case{"fe80::1%eth0", "not an IP address"},
                        Case{"10.0.0.1:80", "not an IP address"}, Case{"host.example", "not an IP address"},
                        Case{"::ffff:10.0.0.0/95", "at least 96"},
                        Case{"10.0.0.0/99999999999999999999", "must be a number"}}) {
    IpAddress base;
    int prefix = 7;
    Status s = ParseCidr(c.text, &base, &prefix);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.text;
    EXPECT_NE(s.message().find(c.why), std::string::npos) << c.text << ": " << s.message();
    EXPECT_EQ(s.message().find(std::string("'") + c.text + "'"), 0u) << s.message();
    EXPECT_EQ(prefix, 7) << "untouched on error";
  }
  std::string with_nul("10.0.0.1\0/8", 11);
  IpAddress base;
  int prefix = 0;
  EXPECT_FALSE(ParseCidr(with_nul, &base, &prefix).ok());
}

TEST(ParseIp, TextFormsAndSockaddrRoundTrip) {
  EXPECT_EQ(ToString(Ip("::ffff:1.2.3.4")), "1.2.3.4");
  EXPECT_EQ(ToString(Ip("2001:DB8::1")), "2001:db8::1");
  // Every IPv4 address formats as inet_ntop would: a sample of all octet widths.
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.0.0.1", "85.214.0.1", "1.22.133.4",
                           "203.0.113.99", "127.0.0.1"}) {
    EXPECT_EQ(ToString(Ip(text)), text);
  }
  for (uint32_t v = 0; v < 100000; v += 7) {
    IpAddress a = Ip("0.0.0.0");
    a.bytes[0] = static_cast<uint8_t>(v * 131);
    a.bytes[1] = static_cast<uint8_t>(v >> 3);
    a.bytes[2] = static_cast<uint8_t>(v);
    a.bytes[3] = static_cast<uint8_t>(v >> 9);
    char want[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, a.bytes.data(), want, sizeof want);
    ASSERT_EQ(ToString(a), want);
  }
  IpAddress none;
  EXPECT_FALSE(ParseIp("1.2.3.4 ", &none));
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(ToString(none), "");
  EXPECT_FALSE(FromSockaddr(nullptr).valid());
}

}  // namespace
}  // namespace edge
