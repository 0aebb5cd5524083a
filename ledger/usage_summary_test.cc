#include "ledger/usage_summary.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "ledger/recorder.h"
#include "ledger/test_dir.h"
#include "ledger/writer.h"

namespace edge::ledger {
namespace {

constexpr int64_t kNov30Noon = 1'796'040'000'000'000;  // 2026-11-30T12:00:00Z
constexpr int64_t kDay = 86'400'000'000;

Record MakeRecord(int id, int64_t wall, const std::string& team, const std::string& key,
                  int64_t cost) {
  Record r;
  r.request_id = "req" + std::to_string(id);
  r.wall_micros = wall;
  r.key_id = key;
  r.team = team;
  r.feature = "chat";
  r.env = id % 2 ? "prod" : "qa";
  r.model = "gpt";
  r.deployment = "gpt/" + std::to_string(id % 3);  // not a summary dimension: cells merge
  r.tags = "customer=acme";
  r.input_tokens = 10;
  r.output_tokens = 5;
  r.cached_input_tokens = 1;
  r.cost_micros = cost;
  r.estimated = id % 5 == 0;
  r.status = 200;
  return r;
}

class RecordJob : public Job {
 public:
  RecordJob(Recorder& rec, Record r) : rec_(rec), r_(std::move(r)) {}
  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    return rec_.Fill(r_, batch, store, &duplicate_);
  }
  void Done(std::unique_ptr<Job>, Status status) override {
    if (!status.ok() && !duplicate_) rec_.Forget(r_.request_id);
  }

 private:
  Recorder& rec_;
  Record r_;
  bool duplicate_ = false;
};

// What the summary must say for `records`, computed straight from them.
struct Expected {
  std::map<UsageCellKey, UsageCounters> usage;
  std::map<BudgetCellKey, int64_t> budgets;
};
Expected Sum(const std::vector<Record>& records) {
  Expected e;
  for (const Record& r : records) {
    UsageCounters c{1, r.input_tokens, r.output_tokens, r.cached_input_tokens, r.cost_micros,
                    r.estimated ? r.cost_micros : 0};
    const std::string month = DisplayPeriod(PeriodOf(Granularity::kMonth, r.wall_micros));
    const std::string day = DisplayPeriod(PeriodOf(Granularity::kDay, r.wall_micros));
    e.usage[{month, r.team, r.feature, r.env, r.model}] += c;
    e.usage[{day, r.team, r.feature, r.env, r.model}] += c;
    if (r.cost_micros != 0) {
      e.budgets[{month, "key:" + r.key_id}] += r.cost_micros;
      e.budgets[{month, "team:" + r.team}] += r.cost_micros;
    }
  }
  return e;
}

void Write(Store& store, Recorder& rec, const std::vector<Record>& records,
           uint64_t min_free = 0) {
  WriterOptions o;
  o.round_hook = rec.coalescing_hook();
  o.min_free_bytes = min_free;
  Writer w(store, o);
  for (const Record& r : records) w.Submit(std::make_unique<RecordJob>(rec, r));
  w.Stop();
}

TEST(DisplayPeriod, StoredPeriodsBecomeDashedAndAnythingElseEmpty) {
  EXPECT_EQ(DisplayPeriod("202612"), "2026-12");
  EXPECT_EQ(DisplayPeriod("20261205"), "2026-12-05");
  EXPECT_EQ(DisplayPeriod("2026120504"), "");
  EXPECT_EQ(DisplayPeriod("2026-1"), "");
  EXPECT_EQ(DisplayPeriod(""), "");
}

TEST(UsageSummary, WrittenRoundsAreProjectedIntoMonthDayAndBudgetCells) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  UsageSummary summary;
  ASSERT_TRUE(summary.Load(**store, kNov30Noon).ok());
  EXPECT_TRUE(summary.TakeUpdates().empty());
  Recorder rec;
  rec.set_summary(&summary);
  std::vector<Record> records;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    // Two days across a month boundary, two teams, three keys.
    int64_t wall = kNov30Noon + static_cast<int64_t>(rng() % 2) * kDay;
    const char* keys[] = {"k0", "k1", "k2"};
    records.push_back(MakeRecord(i, wall, i % 4 ? "search" : "ads", keys[i % 3],
                                 static_cast<int64_t>(rng() % 5000)));
  }
  std::vector<Record> with_duplicates = records;
  with_duplicates.push_back(records[3]);  // skipped by the recorder: never counted twice
  Write(**store, rec, with_duplicates);
  Expected want = Sum(records);
  EXPECT_EQ(summary.usage(), want.usage);
  EXPECT_EQ(summary.budgets(), want.budgets);
  EXPECT_TRUE(want.usage.count({"2026-12", "search", "chat", "prod", "gpt"}));
  EXPECT_TRUE(want.usage.count({"2026-11-30", "ads", "chat", "qa", "gpt"}));

  // The updates carry the absolute values of every changed cell.
  SummaryUpdate u = summary.TakeUpdates();
  std::map<UsageCellKey, UsageCounters> got(u.usage.begin(), u.usage.end());
  std::map<BudgetCellKey, int64_t> got_budgets(u.budgets.begin(), u.budgets.end());
  EXPECT_EQ(got, want.usage);
  EXPECT_EQ(got_budgets, want.budgets);
  EXPECT_TRUE(summary.TakeUpdates().empty());

  // One more record: only its cells come back, with their new totals.
  Record late = MakeRecord(1000, kNov30Noon, "search", "k1", 11);
  Write(**store, rec, {late});
  records.push_back(late);
  want = Sum(records);
  u = summary.TakeUpdates();
  ASSERT_EQ(u.usage.size(), 2u);  // its month and its day
  for (const auto& [key, value] : u.usage) EXPECT_EQ(value, want.usage[key]);
  ASSERT_EQ(u.budgets.size(), 2u);
  for (const auto& [key, value] : u.budgets) EXPECT_EQ(value, want.budgets[key]);
}

TEST(UsageSummary, ARestartContinuesFromTheRollupsNeitherBackNorTwice) {
  TestDir dir;
  std::vector<Record> records;
  for (int i = 0; i < 50; ++i) {
    records.push_back(MakeRecord(i, kNov30Noon, "search", "k1", 100 + i));
  }
  {
    auto store = Store::Open(dir.path(), {});
    ASSERT_TRUE(store.ok());
    UsageSummary summary;
    ASSERT_TRUE(summary.Load(**store, kNov30Noon).ok());
    Recorder rec;
    rec.set_summary(&summary);
    Write(**store, rec, records);
  }
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  UsageSummary summary;
  ASSERT_TRUE(summary.Load(**store, kNov30Noon + kDay).ok());
  Expected want = Sum(records);
  EXPECT_EQ(summary.usage(), want.usage);
  EXPECT_EQ(summary.budgets(), want.budgets);
  SummaryUpdate first = summary.TakeUpdates();  // everything loaded, once
  EXPECT_EQ(first.usage.size(), want.usage.size());
  // The same records again (a client retrying after the restart): idempotent on request id.
  Recorder rec;
  rec.set_summary(&summary);
  Write(**store, rec, records);
  EXPECT_EQ(summary.usage(), want.usage);
  EXPECT_TRUE(summary.TakeUpdates().empty());
}

TEST(UsageSummary, AFailedRoundCountsNothing) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  UsageSummary summary;
  ASSERT_TRUE(summary.Load(**store, kNov30Noon).ok());
  Recorder rec;
  rec.set_summary(&summary);
  // No file system has this much room: every round fails before its write.
  Write(**store, rec, {MakeRecord(1, kNov30Noon, "search", "k1", 5)}, uint64_t{1} << 62);
  EXPECT_TRUE(summary.usage().empty());
  EXPECT_TRUE(summary.TakeUpdates().empty());
  Write(**store, rec, {MakeRecord(1, kNov30Noon, "search", "k1", 5)});
  EXPECT_EQ(summary.usage(), Sum({MakeRecord(1, kNov30Noon, "search", "k1", 5)}).usage);
}

TEST(UsageSummary, OnlyTheWindowIsLoaded) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  {
    UsageSummary summary;
    ASSERT_TRUE(summary.Load(**store, kNov30Noon - 90 * kDay).ok());
    Recorder rec;
    rec.set_summary(&summary);
    Write(**store, rec,
          {MakeRecord(1, kNov30Noon - 90 * kDay, "old", "k1", 5),  // 2026-09
           MakeRecord(2, kNov30Noon - 20 * kDay, "prev", "k1", 5),  // 2026-11
           MakeRecord(3, kNov30Noon + 2 * kDay, "now", "k1", 5)});  // 2026-12
  }
  UsageSummary summary;
  ASSERT_TRUE(summary.Load(**store, kNov30Noon + 2 * kDay).ok());
  std::set<std::string> teams;
  for (const auto& [key, value] : summary.usage()) teams.insert(key.team);
  EXPECT_EQ(teams, (std::set<std::string>{"prev", "now"}));
}

TEST(UsageSummary, AKeysConfiguredTeamOwnsItsBudgetCellWhateverTheTagSays) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  UsageSummary summary;
  summary.SetKeyTeams({{"k1", "search"}});
  ASSERT_TRUE(summary.Load(**store, kNov30Noon).ok());
  Recorder rec;
  rec.set_summary(&summary);
  Write(**store, rec,
        {MakeRecord(1, kNov30Noon, "ads", "k1", 5), MakeRecord(2, kNov30Noon, "ads", "k2", 7)});
  std::map<BudgetCellKey, int64_t> want{{{"2026-11", "key:k1"}, 5},
                                        {{"2026-11", "key:k2"}, 7},
                                        {{"2026-11", "team:search"}, 5},
                                        {{"2026-11", "team:ads"}, 7}};
  EXPECT_EQ(summary.budgets(), want);
  // The usage cells keep the tag as sent.
  EXPECT_TRUE(summary.usage().count({"2026-11", "ads", "chat", "prod", "gpt"}));
}

TEST(UsageSummary, ADamagedCellIsAnError) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  Record r = MakeRecord(1, kNov30Noon, "search", "k1", 5);
  ASSERT_TRUE((*store)
                  ->Put(Family::kRollups,
                        CellKey(Granularity::kMonth, PeriodOf(Granularity::kMonth, r.wall_micros),
                                DimsOf(r)),
                        "garbage")
                  .ok());
  UsageSummary summary;
  EXPECT_FALSE(summary.Load(**store, kNov30Noon).ok());
}

}  // namespace
}  // namespace edge::ledger
