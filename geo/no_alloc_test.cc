// The per-request calls allocate nothing: ParseIp, CidrSet::Contains, ForwardedHops (parsing
// and the walk) and Classifier::Place. Counted by replacing the global operator new in this
// test binary only.

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "geo/geo.h"

namespace {
thread_local bool counting = false;
thread_local int allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace edge::geo {
namespace {

TEST(NoAllocation, PerRequestCallsDoNotAllocate) {
  Settings s;
  s.database = std::string(EDGE_GEO_TEST_DIR) + "/geoip2-country.mmdb";
  s.trusted_proxies = {"10.0.0.0/8", "2001:db8::/32"};
  s.jurisdiction_by_country = {{"DE", "EU"}};
  s.node_jurisdiction = "US";
  auto c = Classifier::Create(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ForwardedHops hops;
  IpAddress peer;
  ASSERT_TRUE(ParseIp("10.0.0.1", &peer));

  allocations = 0;
  counting = true;
  std::string_view placed;
  for (int i = 0; i < 100; ++i) {
    IpAddress a;
    ParseIp("2a01:4f8::1", &a);
    hops.Clear();
    hops.AddXForwardedFor("8.8.8.8, 85.214.0.1, 10.1.1.1");
    hops.AddForwarded("for=\"[2a01:4f8::9]:443\";proto=https, for=10.2.2.2");
    IpAddress caller = hops.Client(peer, (*c)->trusted_proxies());
    placed = (*c)->Place(caller).jurisdiction;
    (*c)->Place(a);
  }
  counting = false;
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(placed, "EU");
}

}  // namespace
}  // namespace edge::geo
