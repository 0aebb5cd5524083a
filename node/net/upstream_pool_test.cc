#include "node/net/upstream_pool.h"

#include <gtest/gtest.h>

namespace edge::net {
namespace {

struct Conn {};
struct Waiter {};

TEST(OriginPoolTest, IdleConnectionsAreLifo) {
  OriginPool<Conn, Waiter> pool(2, 10);
  Conn a, b, c;
  EXPECT_EQ(pool.PopIdle(), nullptr);
  EXPECT_TRUE(pool.PushIdle(&a));
  EXPECT_TRUE(pool.PushIdle(&b));
  EXPECT_FALSE(pool.PushIdle(&c)) << "max_idle_per_origin";
  EXPECT_EQ(pool.idle(), 2u);
  EXPECT_EQ(pool.PopIdle(), &b);
  EXPECT_EQ(pool.PopIdle(), &a);
  EXPECT_EQ(pool.PopIdle(), nullptr);
}

TEST(OriginPoolTest, RemoveIdleFromTheMiddle) {
  OriginPool<Conn, Waiter> pool(4, 10);
  Conn a, b, c;
  pool.PushIdle(&a);
  pool.PushIdle(&b);
  pool.PushIdle(&c);
  EXPECT_TRUE(pool.RemoveIdle(&b));
  EXPECT_FALSE(pool.RemoveIdle(&b));
  EXPECT_EQ(pool.PopIdle(), &c);
  EXPECT_EQ(pool.PopIdle(), &a);
}

TEST(OriginPoolTest, SlotsBoundOpenConnections) {
  OriginPool<Conn, Waiter> pool(4, 2);
  EXPECT_TRUE(pool.CanOpen());
  pool.Opened();
  pool.Opened();
  EXPECT_FALSE(pool.CanOpen());
  pool.Closed();
  EXPECT_TRUE(pool.CanOpen());
  EXPECT_EQ(pool.total(), 1u);
  pool.Closed();
  pool.Closed();  // never below zero
  EXPECT_EQ(pool.total(), 0u);
}

TEST(OriginPoolTest, WaitersAreFifoAndRemovable) {
  OriginPool<Conn, Waiter> pool(4, 1);
  Waiter w1, w2, w3;
  pool.Enqueue(&w1);
  pool.Enqueue(&w2);
  pool.Enqueue(&w3);
  EXPECT_TRUE(pool.RemoveWaiter(&w2));
  EXPECT_FALSE(pool.RemoveWaiter(&w2));
  EXPECT_EQ(pool.waiting(), 2u);
  EXPECT_EQ(pool.PopWaiter(), &w1);
  EXPECT_EQ(pool.PopWaiter(), &w3);
  EXPECT_EQ(pool.PopWaiter(), nullptr);
}

TEST(OriginPoolTest, ZeroMaxTotalStillAllowsOne) {
  OriginPool<Conn, Waiter> pool(0, 0);
  EXPECT_TRUE(pool.CanOpen());
  Conn a;
  EXPECT_FALSE(pool.PushIdle(&a)) << "max_idle 0 keeps nothing";
}

}  // namespace
}  // namespace edge::net
