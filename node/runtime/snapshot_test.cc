#include "node/runtime/snapshot.h"

#include <gtest/gtest.h>

#include <thread>

namespace edge::runtime {
namespace {

std::shared_ptr<const Snapshot> Named(const std::string& id) {
  auto s = std::make_shared<Snapshot>();
  s->config.node.id = id;
  return s;
}

TEST(SnapshotCacheTest, ServesTheCurrentSnapshotAndFollowsEveryStore) {
  SnapshotSource source(Named("first"));
  SnapshotCache cache(source);
  std::shared_ptr<const Snapshot> a = cache.Load();
  EXPECT_EQ(a->config.node.id, "first");
  EXPECT_EQ(cache.Load().get(), a.get());  // no reload while nothing was stored
  EXPECT_EQ(a.get(), source.Load().get());

  source.Store(Named("second"));
  std::shared_ptr<const Snapshot> b = cache.Load();
  EXPECT_EQ(b->config.node.id, "second");
  EXPECT_EQ(a->config.node.id, "first");  // what a request holds stays as it was
}

TEST(SnapshotCacheTest, ASnapshotLivesWhileARequestHoldsItAfterTheSourceAndCacheMovedOn) {
  SnapshotSource source(Named("old"));
  std::weak_ptr<const Snapshot> old = source.Load();
  std::shared_ptr<const Snapshot> held;
  {
    SnapshotCache cache(source);
    held = cache.Load();
    source.Store(Named("new"));
    EXPECT_EQ(cache.Load()->config.node.id, "new");
  }
  EXPECT_FALSE(old.expired());
  EXPECT_EQ(held->config.node.id, "old");
  held.reset();
  EXPECT_TRUE(old.expired());
}

TEST(SnapshotCacheTest, CachesOnOtherThreadsSeeAStoreMadeWhileTheyRun) {
  SnapshotSource source(Named("0"));
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      SnapshotCache cache(source);
      std::string last = "0";
      while (!stop.load()) {
        std::string id = cache.Load()->config.node.id;
        EXPECT_GE(std::stoi(id), std::stoi(last));  // never goes back
        last = id;
      }
      EXPECT_EQ(cache.Load()->config.node.id, "100");
    });
  }
  for (int i = 1; i <= 100; ++i) source.Store(Named(std::to_string(i)));
  stop.store(true);
  for (auto& r : readers) r.join();
}

}  // namespace
}  // namespace edge::runtime
