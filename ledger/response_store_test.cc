#include "ledger/response_store.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <atomic>

#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

TEST(ResponseStore, ValueRoundTripsUntilItExpires) {
  const std::string v = EncodeStoredValue(1000, R"([{"type":"message"}])");
  EXPECT_EQ(StoredValueExpiry(v), 1000);
  EXPECT_EQ(DecodeStoredValue(v, 999), R"([{"type":"message"}])");
  EXPECT_EQ(DecodeStoredValue(v, 1000), std::nullopt);  // expired at its expiry
  EXPECT_EQ(DecodeStoredValue(v, 5000), std::nullopt);
}

TEST(ResponseStore, MalformedValuesReadAsAbsent) {
  const std::string good = EncodeStoredValue(1000, "[]");
  for (std::string bad : {std::string(), std::string("x"), good.substr(0, 5), good.substr(0, 9),
                          std::string(1, '\x02') + good.substr(1)}) {
    EXPECT_EQ(DecodeStoredValue(bad, 0), std::nullopt) << bad.size();
  }
  EXPECT_EQ(StoredValueExpiry(std::string(1, '\x02') + good.substr(1)), std::nullopt);
}

TEST(ResponseStore, StoredThroughAPartReadsBackAndSurvivesReopen) {
  TestDir dir;
  {
    auto store = Store::Open(dir.path(), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    StoredResponsePart part;
    part.Add(StoredResponseKey("resp_1"), EncodeStoredValue(2000, R"(["a"])"));
    part.Add(StoredItemKey("msg_1"), EncodeStoredValue(2000, R"("a")"));
    part.Add(StoredResponseKey("resp_bad"), "garbage");
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(part.Fill(batch, **store).ok());
    ASSERT_TRUE((*store)->Write(batch, true).ok());
  }
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(**ReadStored(**store, StoredResponseKey("resp_1"), 1500), R"(["a"])");
  EXPECT_EQ(**ReadStored(**store, StoredItemKey("msg_1"), 1500), R"("a")");
  EXPECT_EQ(*ReadStored(**store, StoredResponseKey("resp_1"), 2500), std::nullopt);
  EXPECT_EQ(*ReadStored(**store, StoredResponseKey("resp_bad"), 0), std::nullopt);
  EXPECT_EQ(*ReadStored(**store, StoredResponseKey("resp_none"), 0), std::nullopt);
  // Keys of the two kinds never meet: a response id is not an item id.
  EXPECT_EQ(*ReadStored(**store, StoredItemKey("resp_1"), 0), std::nullopt);
}

TEST(ResponseStore, CompactionDropsExpiredValuesAndKeepsTheRest) {
  TestDir dir;
  auto now = std::make_shared<std::atomic<int64_t>>(100);
  StoreOptions o;
  o.now_seconds = [now] { return now->load(); };
  auto store = Store::Open(dir.path(), o);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put(Family::kResponses, "rold", EncodeStoredValue(150, "[1]")).ok());
  ASSERT_TRUE((*store)->Put(Family::kResponses, "rnew", EncodeStoredValue(500, "[2]")).ok());
  ASSERT_TRUE((*store)->Put(Family::kResponses, "rodd", "not ours").ok());
  now->store(200);
  ASSERT_TRUE((*store)->CompactAll().ok());
  EXPECT_EQ(*(*store)->Get(Family::kResponses, "rold"), std::nullopt);  // gone from disk
  EXPECT_TRUE((*(*store)->Get(Family::kResponses, "rnew")).has_value());
  EXPECT_TRUE((*(*store)->Get(Family::kResponses, "rodd")).has_value());  // not understood: kept
  EXPECT_EQ(**ReadStored(**store, "rnew", 200), "[2]");
}

}  // namespace
}  // namespace edge::ledger
