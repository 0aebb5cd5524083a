#include "ledger/store.h"

#include <gtest/gtest.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "ledger/record_header.h"
#include "ledger/rollup_value.h"
#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

StoreOptions Mode(OpenMode m) {
  StoreOptions o;
  o.mode = m;
  return o;
}

std::unique_ptr<Store> OpenOrDie(const std::string& dir, StoreOptions o = {}) {
  auto s = Store::Open(dir, std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(Store, CreatesEveryFamilyAndKeepsThemApart) {
  TestDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_TRUE(store);
  for (size_t i = 0; i < kFamilyCount; ++i) {
    ASSERT_NE(store->Handle(static_cast<Family>(i)), nullptr) << FamilyName(static_cast<Family>(i));
  }
  ASSERT_TRUE(store->Put(Family::kMeta, "k", "meta").ok());
  ASSERT_TRUE(store->Put(Family::kAudit, "k", "audit").ok());
  EXPECT_EQ(**store->Get(Family::kMeta, "k"), "meta");
  EXPECT_EQ(**store->Get(Family::kAudit, "k"), "audit");
  EXPECT_EQ(*store->Get(Family::kRecords, "k"), std::nullopt);
}

TEST(Store, RecordsWrittenWithoutLookupsReadBackInOrderBeforeAndAfterReopen) {
  TestDir dir;
  StoreOptions no_lookups;
  no_lookups.record_lookups = false;  // the node's vector memtable for records
  std::vector<std::string> ids;
  {
    auto store = OpenOrDie(dir.path(), no_lookups);
    ASSERT_TRUE(store);
    // Two workers' ids interleaved, as the writer gets them: appended unsorted.
    for (int i = 0; i < 100; ++i) {
      std::string id = (i % 2 ? "bbbb" : "aaaa") + std::to_string(1000 + i);
      ids.push_back(id);
      ASSERT_TRUE(store->Put(Family::kRecords, id, "r" + id).ok());  // value: "r" + key
    }
    EXPECT_EQ(**store->Get(Family::kRecords, ids[37]), "r" + ids[37]);
    EXPECT_EQ(*store->Get(Family::kRecords, "aaaa9999"), std::nullopt);
  }
  std::sort(ids.begin(), ids.end());
  auto store = OpenOrDie(dir.path());  // the WAL replayed into the default skip list
  ASSERT_TRUE(store);
  std::vector<std::string> seen;
  ASSERT_TRUE(store->Scan(Family::kRecords, "", "", [&](auto k, auto v) {
    seen.emplace_back(k);
    EXPECT_EQ(v.substr(1), k);
    return true;
  }).ok());
  EXPECT_EQ(seen, ids);
}

TEST(Store, ScanVisitsARangeInOrderAndStopsWhenAsked) {
  TestDir dir;
  auto store = OpenOrDie(dir.path());
  for (const char* k : {"a1", "a2", "a3", "b1"}) ASSERT_TRUE(store->Put(Family::kMeta, k, k).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store->Scan(Family::kMeta, "a2", "b", [&](auto k, auto) {
    seen.emplace_back(k);
    return true;
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a2", "a3"}));
  seen.clear();
  ASSERT_TRUE(store->Scan(Family::kMeta, "", "", [&](auto k, auto) {
    seen.emplace_back(k);
    return seen.size() < 2;
  }).ok());
  EXPECT_EQ(seen.size(), 2u);
}

TEST(Store, RollupsAreSummedByTheMergeOperatorAcrossFlushesAndReopen) {
  TestDir dir;
  RollupValue one;
  one.requests = 1;
  one.cost_micros = 250;
  {
    auto store = OpenOrDie(dir.path());
    for (int i = 0; i < 10; ++i) {
      rocksdb::WriteBatch b;
      ASSERT_TRUE(b.Merge(store->Handle(Family::kRollups), "cell", EncodeRollup(one)).ok());
      ASSERT_TRUE(store->Write(b, false).ok());
      if (i == 4) {
        ASSERT_TRUE(store->CompactAll().ok());
      }
    }
  }
  auto store = OpenOrDie(dir.path());
  auto v = store->Get(Family::kRollups, "cell");
  ASSERT_TRUE(v.ok() && v->has_value());
  auto sum = DecodeRollup(**v);
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum->requests, 10);
  EXPECT_EQ(sum->cost_micros, 2500);
  ASSERT_TRUE(store->CompactAll().ok());
  EXPECT_EQ(DecodeRollup(**store->Get(Family::kRollups, "cell"))->requests, 10);
}

TEST(Store, AMalformedRollupOperandReadsAsAnErrorNotAWrongTotal) {
  TestDir dir;
  auto store = OpenOrDie(dir.path());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(b.Merge(store->Handle(Family::kRollups), "cell", EncodeRollup({})).ok());
  ASSERT_TRUE(b.Merge(store->Handle(Family::kRollups), "cell", "garbage").ok());
  ASSERT_TRUE(store->Write(b, false).ok());
  auto v = store->Get(Family::kRollups, "cell");
  EXPECT_FALSE(v.ok());
}

TEST(Store, RetentionDropsOldRecordsOnCompactionAndKeepsRollups) {
  TestDir dir;
  const int64_t now = 1'800'000'000;
  StoreOptions opts;
  opts.retention_days = 30;
  opts.now_seconds = [&] { return now; };
  auto store = OpenOrDie(dir.path(), opts);
  auto record = [](int64_t wall_seconds) {
    std::string v;
    PutRecordHeader(&v, wall_seconds * 1'000'000);
    v += "body";
    return v;
  };
  ASSERT_TRUE(store->Put(Family::kRecords, "old", record(now - 31 * 86400)).ok());
  ASSERT_TRUE(store->Put(Family::kRecords, "new", record(now - 29 * 86400)).ok());
  ASSERT_TRUE(store->Put(Family::kRecords, "odd", "not a record").ok());
  ASSERT_TRUE(store->Put(Family::kRollups, "cell", EncodeRollup({.requests = 1})).ok());
  ASSERT_TRUE(store->CompactAll().ok());
  EXPECT_EQ(*store->Get(Family::kRecords, "old"), std::nullopt);
  EXPECT_TRUE(store->Get(Family::kRecords, "new")->has_value());
  EXPECT_TRUE(store->Get(Family::kRecords, "odd")->has_value());  // unreadable: kept
  EXPECT_TRUE(store->Get(Family::kRollups, "cell")->has_value());
}

TEST(Store, ReadOnlyAndSecondaryOpensWorkBesideARunningPrimary) {
  TestDir dir;
  auto primary = OpenOrDie(dir.path());
  ASSERT_TRUE(primary->Put(Family::kMeta, "before", "1").ok());
  // A second read-write open is refused (RocksDB's LOCK): the node owns the store.
  auto second = Store::Open(dir.path(), {});
  EXPECT_FALSE(second.ok());

  auto ro = OpenOrDie(dir.path(), Mode(OpenMode::kReadOnly));
  ASSERT_TRUE(ro);
  EXPECT_EQ(**ro->Get(Family::kMeta, "before"), "1");
  EXPECT_FALSE(ro->Put(Family::kMeta, "x", "y").ok());

  auto sec = OpenOrDie(dir.path(), Mode(OpenMode::kSecondary));
  ASSERT_TRUE(sec);
  EXPECT_EQ(**sec->Get(Family::kMeta, "before"), "1");
  ASSERT_TRUE(primary->Put(Family::kMeta, "after", "2").ok());
  ASSERT_TRUE(sec->CatchUp().ok());
  EXPECT_EQ(**sec->Get(Family::kMeta, "after"), "2");
}

TEST(Store, OfflineOpensOfAMissingStoreFailClearly) {
  TestDir dir;
  auto ro = Store::Open(dir.path() + "/nothing", Mode(OpenMode::kReadOnly));
  ASSERT_FALSE(ro.ok());
  EXPECT_NE(ro.status().message().find("nothing"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/nothing"));
}

TEST(Store, AnUnwritableDirectoryIsUnavailableNotACrash) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes through directory permissions";
  TestDir dir;
  std::string ro_dir = dir.path() + "/ro";
  std::filesystem::create_directory(ro_dir);
  chmod(ro_dir.c_str(), 0555);
  auto s = Store::Open(ro_dir + "/db", {});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kUnavailable);
}

TEST(Store, RocksStatusesMapToOurCodes) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK(), "x").ok());
  EXPECT_EQ(FromRocks(rocksdb::Status::NotFound(), "x").code(), Code::kNotFound);
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("disk"), "x").code(), Code::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::NoSpace("full"), "x").code(), Code::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption("bad"), "x").code(), Code::kInternal);
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("disk"), "ledger write").message().rfind("ledger write", 0), 0u);
}

}  // namespace
}  // namespace edge::ledger
