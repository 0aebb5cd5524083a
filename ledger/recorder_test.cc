#include "ledger/recorder.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "ledger/test_dir.h"
#include "ledger/writer.h"

namespace edge::ledger {
namespace {

constexpr int64_t kNov30Noon = 1'796'040'000'000'000;  // 2026-11-30T12:00:00Z

Record MakeRecord(int id, int64_t cost) {
  Record r;
  r.request_id = "req" + std::to_string(id);
  r.wall_micros = kNov30Noon;
  r.key_id = "k1";
  r.team = "search";
  r.feature = "chat";
  r.env = "prod";
  r.model = "gpt";
  r.deployment = "gpt/0";
  r.tags = "customer=acme";
  r.input_tokens = 10;
  r.output_tokens = 5;
  r.cost_micros = cost;
  r.status = 200;
  return r;
}

class RecordJob : public Job {
 public:
  RecordJob(Recorder& rec, Record r, bool fail, std::vector<Status>& done)
      : rec_(rec), r_(std::move(r)), fail_(fail), done_(done) {}
  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    EDGE_RETURN_IF_ERROR(rec_.Fill(r_, batch, store, &duplicate_));
    return fail_ ? Internal("the audit part failed") : Status::Ok();
  }
  void Done(std::unique_ptr<Job>, Status status) override {
    if (!status.ok() && !duplicate_) rec_.Forget(r_.request_id);
    done_.push_back(std::move(status));
  }

 private:
  Recorder& rec_;
  Record r_;
  bool fail_;
  bool duplicate_ = false;
  std::vector<Status>& done_;
};

// Holds the writer inside Fill so that later submissions all land in the next round.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
};
class GateJob : public Job {
 public:
  explicit GateJob(Gate& g) : g_(g) {}
  Status Fill(rocksdb::WriteBatch&, Store&) override {
    std::unique_lock lock(g_.mu);
    g_.entered = true;
    g_.cv.notify_all();
    g_.cv.wait(lock, [&] { return g_.open; });
    return Status::Ok();
  }
  void Done(std::unique_ptr<Job>, Status) override {}

 private:
  Gate& g_;
};

// Passes through to the recorder's hook and notes how many operands each Seal added.
class CountingHook : public RoundHook {
 public:
  explicit CountingHook(RoundHook* inner) : inner_(inner) {}
  void JobFilled(bool kept) override { inner_->JobFilled(kept); }
  Status Seal(rocksdb::WriteBatch& batch, Store& store) override {
    uint32_t before = batch.Count();
    Status s = inner_->Seal(batch, store);
    sealed.push_back(batch.Count() - before);
    return s;
  }
  std::vector<uint32_t> sealed;

 private:
  RoundHook* inner_;
};

std::optional<RollupValue> Cell(Store& store, Granularity g, const Record& r) {
  auto v = store.Get(Family::kRollups, CellKey(g, PeriodOf(g, r.wall_micros), DimsOf(r)));
  EXPECT_TRUE(v.ok());
  if (!v.ok() || !v->has_value()) return std::nullopt;
  return DecodeRollup(**v);
}

TEST(RecorderCoalescing, ARoundWritesOneMergePerCellWithTheSumOfItsKeptRecords) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Recorder rec;
  CountingHook hook(rec.coalescing_hook());
  std::vector<Status> done;
  Gate gate;
  {
    WriterOptions o;
    o.round_hook = &hook;
    Writer w(**store, o);
    w.Submit(std::make_unique<GateJob>(gate));
    {
      std::unique_lock lock(gate.mu);
      gate.cv.wait(lock, [&] { return gate.entered; });
    }
    // 100 records of one cell, every 10th job failing after its record was filled, and a
    // duplicate of a kept id: 90 count.
    for (int i = 0; i < 100; ++i) {
      w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(i, 1000 + i), i % 10 == 3, done));
    }
    w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(0, 5), false, done));
    {
      std::lock_guard lock(gate.mu);
      gate.open = true;
    }
    gate.cv.notify_all();
    w.Stop();
    EXPECT_EQ(w.stats().rounds, 2u);
  }
  ASSERT_EQ(done.size(), 101u);
  // The gate's round sealed nothing; the records' round: hour, day and month cells, each
  // once, plus the same for the tag.
  ASSERT_EQ(hook.sealed.size(), 2u);
  EXPECT_EQ(hook.sealed[0], 0u);
  EXPECT_EQ(hook.sealed[1], 6u);
  int64_t cost = 0;
  for (int i = 0; i < 100; ++i) {
    if (i % 10 != 3) cost += 1000 + i;
  }
  for (Granularity g : {Granularity::kHour, Granularity::kDay, Granularity::kMonth}) {
    auto v = Cell(**store, g, MakeRecord(0, 0));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->requests, 90);
    EXPECT_EQ(v->input_tokens, 900);
    EXPECT_EQ(v->cost_micros, cost);
  }
  auto failed = (*store)->Get(Family::kRecords, "req3");
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->has_value());
}

TEST(RecorderCoalescing, AFailedRoundLeavesNoRollupsAndItsRecordsCanBeWrittenLater) {
  TestDir dir;
  {
    auto store = Store::Open(dir.path(), {});
    ASSERT_TRUE(store.ok());
  }
  Recorder rec;  // survives both writers: what the failed round staged must not leak
  std::vector<Status> done;
  {
    StoreOptions ro;
    ro.mode = OpenMode::kReadOnly;
    auto store = Store::Open(dir.path(), ro);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    WriterOptions o;
    o.round_hook = rec.coalescing_hook();
    o.min_free_bytes = 0;
    Writer w(**store, o);
    for (int i = 0; i < 5; ++i) w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(i, 7), false, done));
    w.Stop();
  }
  ASSERT_EQ(done.size(), 5u);
  for (const Status& s : done) EXPECT_FALSE(s.ok());
  done.clear();
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  {
    WriterOptions o;
    o.round_hook = rec.coalescing_hook();
    Writer w(**store, o);
    w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(0, 7), false, done));
    w.Stop();
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].ok()) << done[0].ToString();
  for (Granularity g : {Granularity::kHour, Granularity::kDay, Granularity::kMonth}) {
    auto v = Cell(**store, g, MakeRecord(0, 0));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->requests, 1);
    EXPECT_EQ(v->cost_micros, 7);
  }
}

TEST(RecorderUniqueIds, TrustingTheCallerItWritesEveryRecordWithoutLookingForItsId) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Recorder rec;
  rec.trust_unique_ids();
  std::vector<Status> done;
  {
    WriterOptions o;
    o.round_hook = rec.coalescing_hook();
    Writer w(**store, o);
    for (int i = 0; i < 50; ++i) {
      w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(i, 100 + i), i % 10 == 7, done));
    }
    // The contract broken on purpose: a repeated id is not looked for, so it counts again.
    // The node never does this (its ids never repeat); the test shows the check is really off.
    w.Submit(std::make_unique<RecordJob>(rec, MakeRecord(0, 5), false, done));
    w.Stop();
  }
  ASSERT_EQ(done.size(), 51u);
  int64_t cost = 5;
  for (int i = 0; i < 50; ++i) {
    if (i % 10 != 7) cost += 100 + i;
  }
  for (Granularity g : {Granularity::kHour, Granularity::kDay, Granularity::kMonth}) {
    auto v = Cell(**store, g, MakeRecord(0, 0));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->requests, 46);  // 45 kept records and the repeat
    EXPECT_EQ(v->cost_micros, cost);
  }
  auto kept = (*store)->Get(Family::kRecords, "req8");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
  auto failed = (*store)->Get(Family::kRecords, "req7");
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->has_value());
}

}  // namespace
}  // namespace edge::ledger
