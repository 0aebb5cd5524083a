#include "geo/geo.h"

#include <gtest/gtest.h>
#include <maxminddb.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

namespace edge::geo {
namespace {

const std::string kTestDir = EDGE_GEO_TEST_DIR;

IpAddress Ip(std::string_view s) {
  IpAddress a;
  EXPECT_TRUE(ParseIp(s, &a)) << s;
  return a;
}

TEST(IpAddress, ParsesAndPrints) {
  EXPECT_EQ(ToString(Ip("85.214.0.1")), "85.214.0.1");
  EXPECT_EQ(ToString(Ip("2A01:4F8:0::1")), "2a01:4f8::1");
  EXPECT_EQ(Ip("::ffff:85.214.0.1"), Ip("85.214.0.1"));  // mapped = the IPv4 address
  EXPECT_EQ(Ip("::ffff:85.214.0.1").family, IpAddress::Family::kV4);
  IpAddress a;
  for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", " 1.1.1.1",
                               "1.1.1.1 ", "[::1]", "::1%lo", ":::", "example.com",
                               "0x7f.1.1.1", "1.1.1.1/32"}) {
    EXPECT_FALSE(ParseIp(bad, &a)) << bad;
  }
  EXPECT_FALSE(ParseIp(std::string_view("1.1.1.1\0", 8), &a));
  EXPECT_FALSE(ParseIp(std::string(100, '1'), &a));
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(ToString(a), "");
}

// ParseIp's own IPv4 reader accepts exactly what inet_pton(AF_INET) accepts.
TEST(IpAddress, Ipv4AgreesWithInetPton) {
  std::mt19937 rng(7);
  const char alphabet[] = "0123456789.";
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    size_t len = 1 + rng() % 16;
    for (size_t j = 0; j < len; ++j) s += alphabet[rng() % (sizeof(alphabet) - 1)];
    if (i % 3 == 0) {  // plausible addresses too, so that acceptance is exercised
      s = std::to_string(rng() % 300) + "." + std::to_string(rng() % 256) + "." +
          (rng() % 5 == 0 ? "0" : "") + std::to_string(rng() % 256) + "." +
          std::to_string(rng() % 260);
    }
    IpAddress a;
    uint8_t want[4];
    bool ok = inet_pton(AF_INET, s.c_str(), want) == 1;
    ASSERT_EQ(ParseIp(s, &a), ok) << s;
    if (ok) {
      ++accepted;
      ASSERT_EQ(std::memcmp(a.bytes.data(), want, 4), 0) << s;
    }
  }
  EXPECT_GT(accepted, 10000);
}

TEST(IpAddress, FromSockaddr) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_addr.s6_addr[10] = 0xff;
  in6.sin6_addr.s6_addr[11] = 0xff;
  in6.sin6_addr.s6_addr[12] = 85;
  in6.sin6_addr.s6_addr[13] = 214;
  in6.sin6_addr.s6_addr[15] = 1;
  EXPECT_EQ(FromSockaddr(reinterpret_cast<sockaddr*>(&in6)), Ip("85.214.0.1"));
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0x08080808);
  EXPECT_EQ(FromSockaddr(reinterpret_cast<sockaddr*>(&in)), Ip("8.8.8.8"));
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(FromSockaddr(&other).valid());
  EXPECT_FALSE(FromSockaddr(nullptr).valid());
}

TEST(CidrSet, V4V6AndMapped) {
  CidrSet set;
  ASSERT_TRUE(set.Add("10.0.0.0/8").ok());
  ASSERT_TRUE(set.Add("192.168.1.7").ok());
  ASSERT_TRUE(set.Add("2001:db8::/33").ok());
  ASSERT_TRUE(set.Add("::ffff:172.16.0.0/108").ok());  // = 172.16.0.0/12
  ASSERT_TRUE(set.Add("100.64.1.1/10").ok());          // host bits ignored
  EXPECT_TRUE(set.Contains(Ip("10.255.1.1")));
  EXPECT_TRUE(set.Contains(Ip("::ffff:10.1.1.1")));
  EXPECT_FALSE(set.Contains(Ip("11.0.0.1")));
  EXPECT_TRUE(set.Contains(Ip("192.168.1.7")));
  EXPECT_FALSE(set.Contains(Ip("192.168.1.8")));
  EXPECT_TRUE(set.Contains(Ip("2001:db8:7fff::1")));
  EXPECT_FALSE(set.Contains(Ip("2001:db8:8000::1")));
  EXPECT_TRUE(set.Contains(Ip("172.31.255.255")));
  EXPECT_FALSE(set.Contains(Ip("172.32.0.0")));
  EXPECT_TRUE(set.Contains(Ip("100.127.0.1")));
  // An IPv4 network never matches IPv6 addresses outside the mapped range, and vice versa.
  EXPECT_FALSE(set.Contains(Ip("::a00:1")));  // IPv4-compatible ::10.0.0.1 is not 10.0.0.1
  EXPECT_FALSE(set.Contains(IpAddress()));
  CidrSet all;
  ASSERT_TRUE(all.Add("0.0.0.0/0").ok());
  EXPECT_TRUE(all.Contains(Ip("1.2.3.4")));
  EXPECT_FALSE(all.Contains(Ip("::1")));
  ASSERT_TRUE(all.Add("::/0").ok());
  EXPECT_TRUE(all.Contains(Ip("::1")));
}

TEST(CidrSet, RejectsMalformed) {
  CidrSet set;
  for (std::string_view bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
                               "10.0.0.0/8/8", "10.0.0.0/x", "::/129", "::ffff:10.0.0.0/95",
                               "10.0.0.0/ 8", "host.example/8", "10.0.0.0/0x8"}) {
    EXPECT_FALSE(set.Add(bad).ok()) << bad;
  }
  EXPECT_TRUE(set.empty());
}

TEST(Database, GeoIp2LayoutV4AndV6) {
  auto db = Database::Open(kTestDir + "/geoip2-country.mmdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->type(), "GeoLite2-Country");
  struct Case {
    const char* ip;
    const char* country;
  } cases[] = {
      {"85.214.0.1", "DE"},  {"85.214.255.254", "DE"}, {"2a01:4f8::1", "DE"},
      {"2.0.1.2", "FR"},     {"2a01:cb00:1::5", "FR"}, {"8.8.8.8", "US"},
      {"2001:4860::8888", "US"}, {"133.1.2.3", "JP"},  {"2001:200::1", "JP"},
      {"::ffff:133.1.2.3", "JP"},
      {"203.0.113.9", "NL"},  // registered_country only
      {"192.0.2.1", ""},      // a record without any country
      {"85.215.0.1", ""},     {"127.0.0.1", ""}, {"::1", ""}, {"2a02::1", ""},
  };
  for (int round = 0; round < 2; ++round) {  // the second round reads the record cache
    for (const Case& c : cases) {
      int err = -1;
      EXPECT_EQ((*db)->Lookup(Ip(c.ip), &err).view(), c.country) << c.ip;
      EXPECT_EQ(err, 0) << c.ip;
    }
  }
  EXPECT_TRUE((*db)->Lookup(IpAddress()).empty());
}

TEST(Database, IpinfoLayouts) {
  auto db = Database::Open(kTestDir + "/ipinfo-country.mmdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->Lookup(Ip("85.214.0.1")).view(), "DE");  // country_code, not "Germany"
  EXPECT_EQ((*db)->Lookup(Ip("2.0.0.1")).view(), "FR");
}

TEST(Database, Ipv6InAnIpv4OnlyDatabaseIsUnplaced) {
  auto db = Database::Open(kTestDir + "/ipv4-only.mmdb");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->Lookup(Ip("85.214.0.1")).view(), "DE");
  int err = -1;
  EXPECT_TRUE((*db)->Lookup(Ip("2a01:4f8::1"), &err).empty());
  EXPECT_EQ(err, 0);
}

TEST(Database, OpenErrorsNameThePathAndReason) {
  auto missing = Database::Open(kTestDir + "/nope.mmdb");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.mmdb"), std::string::npos);

  std::string junk = ::testing::TempDir() + "/junk.mmdb";
  std::ofstream(junk) << "this is not a MaxMind database";
  auto bad = Database::Open(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("junk.mmdb"), std::string::npos);

  // A truncated real database: the metadata marker is gone.
  std::ifstream in(kTestDir + "/geoip2-country.mmdb", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string cut = ::testing::TempDir() + "/cut.mmdb";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(Database::Open(cut).ok());
}

TEST(Database, CorruptSearchTreeIsAnErrorNotACrash) {
  std::ifstream in(kTestDir + "/geoip2-country.mmdb", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Overwrite the search tree (the file's start) with pointers far past its end.
  for (size_t i = 0; i < 600 && i < bytes.size(); ++i) bytes[i] = '\xff';
  std::string path = ::testing::TempDir() + "/corrupt.mmdb";
  std::ofstream(path, std::ios::binary) << bytes;
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();  // metadata intact
  for (const char* ip : {"85.214.0.1", "2a01:4f8::1", "8.8.8.8", "255.255.255.255"}) {
    int err = 0;
    Country c = (*db)->Lookup(Ip(ip), &err);
    EXPECT_TRUE(c.empty()) << ip;
    EXPECT_NE(err, 0) << ip;
  }
}

Settings TestSettings(std::string unknown_caller) {
  Settings s;
  s.database = kTestDir + "/geoip2-country.mmdb";
  s.trusted_proxies = {"10.0.0.0/8"};
  s.jurisdiction_by_country = {{"DE", "EU"}, {"FR", "EU"}, {"JP", "APAC"}};
  s.node_jurisdiction = "US";
  s.unknown_caller = std::move(unknown_caller);
  return s;
}

TEST(Classifier, PlacesByCountry) {
  auto c = Classifier::Create(TestSettings("node"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Placement p = (*c)->Place(Ip("85.214.0.1"));
  EXPECT_EQ(p.country.view(), "DE");
  EXPECT_EQ(p.jurisdiction, "EU");
  EXPECT_EQ(p.source, Placement::Source::kIp);
  p = (*c)->Place(Ip("2001:200::1"));
  EXPECT_EQ(p.jurisdiction, "APAC");
  // Placed in a country of no jurisdiction: placed, not pinned.
  p = (*c)->Place(Ip("8.8.8.8"));
  EXPECT_EQ(p.country.view(), "US");
  EXPECT_EQ(p.jurisdiction, "");
  EXPECT_EQ(p.source, Placement::Source::kIp);
  EXPECT_TRUE((*c)->trusted_proxies().Contains(Ip("10.9.9.9")));
}

TEST(Classifier, UnknownCallersInEachMode) {
  for (const char* unplaced : {"127.0.0.1", "192.0.2.1", "fd00::1"}) {
    auto node = Classifier::Create(TestSettings("node"));
    ASSERT_TRUE(node.ok());
    Placement p = (*node)->Place(Ip(unplaced));
    EXPECT_TRUE(p.country.empty());
    EXPECT_EQ(p.source, Placement::Source::kNode);
    EXPECT_EQ(p.jurisdiction, "US");

    auto deny = Classifier::Create(TestSettings("deny"));
    ASSERT_TRUE(deny.ok());
    EXPECT_EQ((*deny)->Place(Ip(unplaced)).source, Placement::Source::kDeny);

    auto named = Classifier::Create(TestSettings("EU"));
    ASSERT_TRUE(named.ok());
    p = (*named)->Place(Ip(unplaced));
    EXPECT_EQ(p.source, Placement::Source::kNode);
    EXPECT_EQ(p.jurisdiction, "EU");
  }
  auto node = Classifier::Create(TestSettings("node"));
  EXPECT_EQ((*node)->Place(IpAddress()).source, Placement::Source::kNode);  // no address
}

TEST(Classifier, CreateErrors) {
  Settings s = TestSettings("node");
  s.trusted_proxies = {"10.0.0.0/33"};
  auto bad = Classifier::Create(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("trusted_proxies"), std::string::npos);
  s = TestSettings("node");
  s.database = kTestDir + "/missing.mmdb";
  bad = Classifier::Create(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("geo.database: ", 0), 0u) << bad.status().message();
  EXPECT_NE(bad.status().message().find("missing.mmdb"), std::string::npos);
}

TEST(BuiltinDatabase, FoundAndUsed) {
  auto path = BuiltinDatabasePath();
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  Settings s = TestSettings("node");
  s.database = "";
  auto c = Classifier::Create(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->database().path(), *path);
  // Addresses whose country the tor-geoipdb ranges have held for many years.
  EXPECT_EQ((*c)->Place(Ip("85.214.0.1")).jurisdiction, "EU");
  EXPECT_EQ((*c)->Place(Ip("85.214.0.1")).country.view(), "DE");
  EXPECT_EQ((*c)->Place(Ip("2a01:4f8::1")).country.view(), "DE");
  EXPECT_EQ((*c)->Place(Ip("8.8.8.8")).country.view(), "US");
  EXPECT_TRUE((*c)->Place(Ip("127.0.0.1")).country.empty());
}

TEST(BuiltinDatabase, EnvironmentOverridesAndMissingIsNamed) {
  std::string test_db = kTestDir + "/ipv4-only.mmdb";
  setenv("LLM_EDGE_GEOIP_DB", test_db.c_str(), 1);
  auto path = BuiltinDatabasePath();
  unsetenv("LLM_EDGE_GEOIP_DB");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, test_db);
}

}  // namespace
}  // namespace edge::geo
