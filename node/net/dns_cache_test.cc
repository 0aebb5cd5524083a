#include "node/net/dns_cache.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace edge::net {
namespace {

// A name glibc rejects without asking a server (a label over 63 bytes), so that the
// failure test needs no network.
std::string UnresolvableName() { return std::string(64, 'a') + ".invalid"; }

struct Recorder : DnsCache::Waiter {
  void OnResolved(const Status& s, const AddressList& a) override {
    ++calls;
    status = s;
    addresses = a;
  }
  int calls = 0;
  Status status;
  AddressList addresses;
};

bool HasLoopback(const AddressList& list) {
  for (const auto& a : list) {
    if (a.ss_family == AF_INET &&
        reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      return true;
    }
    if (a.ss_family == AF_INET6 &&
        IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr)) {
      return true;
    }
  }
  return false;
}

class DnsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  uv_loop_t loop_;
  ManualClock clock_;
};

TEST(IpLiteralTest, ParsesV4AndV6) {
  sockaddr_storage ss;
  ASSERT_TRUE(ParseIpLiteral("127.0.0.1", 8080, &ss));
  EXPECT_EQ(ss.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port), 8080);
  ASSERT_TRUE(ParseIpLiteral("::1", 443, &ss));
  EXPECT_EQ(ss.ss_family, AF_INET6);
  SetPort(&ss, 8443);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port), 8443);
  EXPECT_FALSE(ParseIpLiteral("localhost", 80, &ss));
  EXPECT_FALSE(ParseIpLiteral("1.2.3", 80, &ss));
}

TEST_F(DnsCacheTest, ResolvesAndCachesUntilTtl) {
  DnsCache dns(&loop_, 1000, &clock_);
  EXPECT_EQ(dns.Lookup("localhost"), nullptr);
  Recorder a, b;
  ASSERT_TRUE(dns.Resolve("localhost", &a).ok());
  ASSERT_TRUE(dns.Resolve("localhost", &b).ok());
  EXPECT_EQ(dns.in_flight(), 1u) << "concurrent lookups of one name are shared";
  EXPECT_EQ(a.calls, 0) << "never called from inside Resolve()";
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(b.calls, 1);
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_TRUE(HasLoopback(a.addresses));
  const AddressList* cached = dns.Lookup("localhost");
  ASSERT_NE(cached, nullptr);
  EXPECT_TRUE(HasLoopback(*cached));
  clock_.Advance(999'000);
  EXPECT_NE(dns.Lookup("localhost"), nullptr);
  clock_.Advance(1'000);
  EXPECT_EQ(dns.Lookup("localhost"), nullptr) << "expired";
  EXPECT_EQ(dns.cached(), 0u);
}

TEST_F(DnsCacheTest, FailuresNameTheHostAndAreNotCached) {
  DnsCache dns(&loop_, 1000, &clock_);
  Recorder r;
  std::string name = UnresolvableName();
  Status started = dns.Resolve(name, &r);
  if (started.ok()) {
    uv_run(&loop_, UV_RUN_DEFAULT);
    ASSERT_EQ(r.calls, 1);
    started = r.status;
  }
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), Code::kUnavailable);
  EXPECT_NE(started.message().find("DNS lookup for " + name + " failed"), std::string::npos)
      << started.message();
  EXPECT_EQ(dns.Lookup(name), nullptr);
}

TEST_F(DnsCacheTest, CancelledWaiterHearsNothing) {
  DnsCache dns(&loop_, 1000, &clock_);
  Recorder a, b;
  ASSERT_TRUE(dns.Resolve("localhost", &a).ok());
  ASSERT_TRUE(dns.Resolve("localhost", &b).ok());
  dns.Cancel(&a);
  dns.Cancel(&a);  // harmless twice
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(a.calls, 0);
  EXPECT_EQ(b.calls, 1);
}

TEST_F(DnsCacheTest, ZeroTtlCachesNothing) {
  DnsCache dns(&loop_, 0, &clock_);
  Recorder a;
  ASSERT_TRUE(dns.Resolve("localhost", &a).ok());
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(dns.Lookup("localhost"), nullptr);
}

TEST_F(DnsCacheTest, ShutdownDropsWaitersAndReportsIdle) {
  DnsCache dns(&loop_, 1000, &clock_);
  Recorder a;
  ASSERT_TRUE(dns.Resolve("localhost", &a).ok());
  bool idle = false;
  dns.Shutdown([&] { idle = true; });
  EXPECT_EQ(dns.in_flight(), 1u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(idle);
  EXPECT_EQ(a.calls, 0);
  EXPECT_EQ(dns.in_flight(), 0u);

  DnsCache quiet(&loop_, 1000, &clock_);
  bool at_once = false;
  quiet.Shutdown([&] { at_once = true; });
  EXPECT_TRUE(at_once) << "nothing in flight: idle at once";
}

TEST_F(DnsCacheTest, DestroyedWithLookupInFlight) {
  Recorder a;
  {
    DnsCache dns(&loop_, 1000, &clock_);
    ASSERT_TRUE(dns.Resolve("localhost", &a).ok());
  }
  uv_run(&loop_, UV_RUN_DEFAULT);  // the orphaned request frees itself
  EXPECT_EQ(a.calls, 0);
}

}  // namespace
}  // namespace edge::net
