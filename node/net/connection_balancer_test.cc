#include "node/net/connection_balancer.h"

#include <gtest/gtest.h>

#include "node/net/http_server_test_util.h"

namespace edge::net {
namespace {

using test_util::Response;
using test_util::TestClient;
using test_util::TestServer;

void Echo(ServerExchange& ex) { ex.Reply(200, HeaderList(), ex.request().path()); }

// Slots registered on a loop of the test's own; Pick never touches it.
class PickTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    for (size_t i = 0; i < balancer_.slots(); ++i) balancer_.Unregister(i);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  void RegisterAll() {
    for (size_t i = 0; i < balancer_.slots(); ++i) balancer_.Register(i, &loop_, [](int) {});
  }

  uv_loop_t loop_{};
  ConnectionBalancer balancer_{3};
};

TEST_F(PickTest, FewConnectionsArePlacedExactly) {
  RegisterAll();
  // The kernel put them all in slot 0's queue. Below 8 each, an eighth is nothing: exact.
  for (int i = 0; i < 21; ++i) balancer_.Pick(0);
  EXPECT_EQ(balancer_.connections(0), 7);
  EXPECT_EQ(balancer_.connections(1), 7);
  EXPECT_EQ(balancer_.connections(2), 7);
}

TEST_F(PickTest, ManyConnectionsStayUnlessAnotherSlotHasClearlyFewer) {
  RegisterAll();
  for (int i = 0; i < 240; ++i) balancer_.Pick(static_cast<size_t>(i % 3));  // 80 each
  ASSERT_EQ(balancer_.connections(1), 80);
  for (int i = 0; i < 9; ++i) balancer_.Closed(1);  // 71: not below 80 - 80/8 = 70
  EXPECT_EQ(balancer_.Pick(0), 0u);
  balancer_.Closed(1);  // 70 against 81: below 81 - 10 = 71
  EXPECT_EQ(balancer_.Pick(0), 1u);
  EXPECT_EQ(balancer_.Pick(2), 2u);  // 80 against 71: not below 70
}

TEST_F(PickTest, SlotsThatTakeNoHandOffsAreSkipped) {
  balancer_.Register(0, &loop_, [](int) {});
  balancer_.Register(2, &loop_, [](int) {});
  for (int i = 0; i < 4; ++i) balancer_.Pick(0);
  EXPECT_EQ(balancer_.connections(1), 0);  // never registered
  EXPECT_EQ(balancer_.connections(2), 2);
  EXPECT_FALSE(balancer_.HandOff(1, -1));
  balancer_.Unregister(2);
  EXPECT_FALSE(balancer_.HandOff(2, -1));
  EXPECT_EQ(balancer_.Pick(0), 0u);
}

ServerOptions Slot(ConnectionBalancer* balancer, size_t slot) {
  ServerOptions o;
  o.balancer = balancer;
  o.balancer_slot = slot;
  return o;
}

void Get(TestClient& c, const std::string& path) {
  ASSERT_TRUE(c.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response r = c.ReadResponse();
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, path);
}

// Two workers, and the kernel puts both connections in worker A's queue (B's socket gets
// none): the second moves to B, which serves it, and counts follow the closes.
TEST(ConnectionBalancerTest, TwoConnectionsAcceptedByOneWorkerAreServedByTwo) {
  ConnectionBalancer balancer(2);
  TestServer a(Echo, Slot(&balancer, 0));
  TestServer b(Echo, Slot(&balancer, 1));
  {
    TestClient c1(a.port());
    Get(c1, "/one");
    TestClient c2(a.port());
    Get(c2, "/two");
    Get(c1, "/three");
    Get(c2, "/four");
    EXPECT_EQ(a.AwaitOpenConnections(1), 1u);
    EXPECT_EQ(b.AwaitOpenConnections(1), 1u);
    EXPECT_EQ(a.requests(), 2);
    EXPECT_EQ(b.requests(), 2);
  }
  EXPECT_EQ(a.AwaitOpenConnections(0), 0u);
  EXPECT_EQ(b.AwaitOpenConnections(0), 0u);
  EXPECT_EQ(balancer.connections(0), 0);
  EXPECT_EQ(balancer.connections(1), 0);
}

// A worker that is shutting down takes no connections: the one that accepted keeps them.
TEST(ConnectionBalancerTest, AWorkerShuttingDownTakesNone) {
  ConnectionBalancer balancer(2);
  TestServer a(Echo, Slot(&balancer, 0));
  TestServer b(Echo, Slot(&balancer, 1));
  b.Run([&] { b.server()->BeginShutdown([] {}); });
  TestClient c1(a.port());
  Get(c1, "/one");
  TestClient c2(a.port());
  Get(c2, "/two");
  EXPECT_EQ(a.AwaitOpenConnections(2), 2u);
  EXPECT_EQ(b.OpenConnections(), 0u);
  EXPECT_EQ(balancer.connections(0), 2);
}

}  // namespace
}  // namespace edge::net
