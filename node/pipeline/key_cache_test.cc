#include "node/pipeline/key_cache.h"

#include <gtest/gtest.h>

#include "config/key_hash.h"

namespace edge::pipeline {
namespace {

std::shared_ptr<const runtime::Snapshot> SnapshotWithKeys(
    std::initializer_list<std::pair<std::string, std::string>> id_and_key) {
  config::Config cfg;
  for (const auto& [id, key] : id_and_key) {
    config::VirtualKey k;
    k.id = id;
    k.key_sha256 = config::Sha256Hex(key);
    cfg.key_by_sha256[k.key_sha256] = cfg.keys.size();
    cfg.keys.push_back(std::move(k));
  }
  auto snapshot = runtime::Snapshot::Build(std::move(cfg));
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  return *snapshot;
}

TEST(KeyCacheTest, FindsConfiguredKeysAndRefusesOthers) {
  auto snapshot = SnapshotWithKeys({{"a", "sk-key-a-0123456789"}, {"b", "sk-key-b-0123456789"}});
  KeyCache cache;
  for (int round = 0; round < 2; ++round) {  // a miss, then a hit
    const config::VirtualKey* a = cache.Find(snapshot, "sk-key-a-0123456789");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->id, "a");
    EXPECT_EQ(cache.Find(snapshot, "sk-key-b-0123456789")->id, "b");
    EXPECT_EQ(cache.Find(snapshot, "sk-key-c-0123456789"), nullptr);
    EXPECT_EQ(cache.Find(snapshot, "sk-key-a-012345678"), nullptr);  // a prefix
  }
}

TEST(KeyCacheTest, AReloadedConfigIsConsultedAfresh) {
  auto before = SnapshotWithKeys({{"old", "sk-rotating-key-000000"}});
  auto after = SnapshotWithKeys({{"new", "sk-another-key-111111"}});
  KeyCache cache;
  ASSERT_NE(cache.Find(before, "sk-rotating-key-000000"), nullptr);
  // The key was removed by the reload: the cached answer must not outlive it.
  EXPECT_EQ(cache.Find(after, "sk-rotating-key-000000"), nullptr);
  EXPECT_EQ(cache.Find(after, "sk-another-key-111111")->id, "new");
}

TEST(KeyCacheTest, StaysCorrectPastItsCapacity) {
  auto snapshot = SnapshotWithKeys({{"a", "sk-key-a-0123456789"}});
  KeyCache cache;
  for (size_t i = 0; i < KeyCache::kCapacity + 10; ++i) {
    EXPECT_EQ(cache.Find(snapshot, "sk-unknown-" + std::to_string(i)), nullptr);
    ASSERT_NE(cache.Find(snapshot, "sk-key-a-0123456789"), nullptr);
  }
}

}  // namespace
}  // namespace edge::pipeline
