// Roll-ups equal the sums of the raw records, whatever the interleaving: concurrent
// submitters through the writer, duplicates, restarts and compactions in between.

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <random>
#include <thread>

#include "ledger/recorder.h"
#include "ledger/spend.h"
#include "ledger/test_dir.h"
#include "ledger/writer.h"

namespace edge::ledger {
namespace {

class RecordJob : public Job {
 public:
  // `fail`: the job fails after the recorder filled its part, as when another part of the
  // same commit (the audit record) fails: the savepoint takes everything back.
  RecordJob(Recorder& recorder, Record r, bool fail = false)
      : recorder_(recorder), r_(std::move(r)), fail_(fail) {}
  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    EDGE_RETURN_IF_ERROR(recorder_.Fill(r_, batch, store, &duplicate_));
    return fail_ ? Internal("another part of the commit failed") : Status::Ok();
  }
  void Done(std::unique_ptr<Job>, Status status) override {
    if (!status.ok() && !duplicate_) recorder_.Forget(r_.request_id);
  }

 private:
  Recorder& recorder_;
  Record r_;
  bool fail_;
  bool duplicate_ = false;
};

Record RandomRecord(std::mt19937_64& rng, int id) {
  auto pick = [&](std::initializer_list<const char*> v) {
    return std::string(*(v.begin() + rng() % v.size()));
  };
  Record r;
  r.request_id = "req" + std::to_string(id);
  // Anywhere in Nov-Dec 2026, so hours, days and months all split.
  r.wall_micros = 1'793'491'200'000'000 + static_cast<int64_t>(rng() % (61ull * 86400)) * 1'000'000;
  r.key_id = pick({"k1", "k2", "k3"});
  r.team = pick({"search", "ads", ""});
  r.feature = pick({"summarize", "chat"});
  r.env = pick({"prod", "qa"});
  r.tags = pick({"", "customer=acme", "customer=globex,tier=gold", "tier=free"});
  r.model = pick({"generate", "embed"});
  r.deployment = r.model + "/" + std::to_string(rng() % 2);
  r.region = "eu-west";
  r.input_tokens = static_cast<int64_t>(rng() % 5000);
  r.output_tokens = static_cast<int64_t>(rng() % 2000);
  r.cached_input_tokens = r.input_tokens / 2;
  r.cost_micros = static_cast<int64_t>(rng() % 100000);
  r.estimated = rng() % 5 == 0;
  r.priced = rng() % 10 != 0;
  r.status = rng() % 8 == 0 ? 502 : 200;
  return r;
}

// Everything the raw records say, recomputed from the "records" family alone.
std::map<std::string, RollupValue> ExpectedCells(const Store& store, size_t* records) {
  std::map<std::string, RollupValue> cells;
  *records = 0;
  Status s = store.Scan(Family::kRecords, "", "", [&](std::string_view, std::string_view v) {
    std::optional<Record> r = DecodeRecord(v);
    EXPECT_TRUE(r);
    if (!r) return false;
    ++*records;
    for (Granularity g : {Granularity::kHour, Granularity::kDay, Granularity::kMonth}) {
      std::string period = PeriodOf(g, r->wall_micros);
      cells[CellKey(g, period, DimsOf(*r))] += DeltaOf(*r);
      for (auto [name, value] : SplitTags(r->tags)) {
        cells[TagCellKey(g, period, name, value, DimsOf(*r))] += DeltaOf(*r);
      }
    }
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return cells;
}

std::map<std::string, RollupValue> StoredCells(const Store& store) {
  std::map<std::string, RollupValue> cells;
  Status s = store.Scan(Family::kRollups, "", "", [&](std::string_view k, std::string_view v) {
    std::optional<RollupValue> d = DecodeRollup(v);
    EXPECT_TRUE(d);
    if (d) cells[std::string(k)] = *d;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return cells;
}

// Both ways of writing roll-ups: one merge operand per record and cell, and the deltas of a
// writer round summed per cell (Recorder::coalescing_hook).
class RollupSums : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(PerRecordAndCoalesced, RollupSums, ::testing::Bool());

TEST_P(RollupSums, RollupsEqualSumsOfRecordsThroughConcurrencyDuplicatesRestartsAndCompaction) {
  const bool coalesce = GetParam();
  TestDir dir;
  std::mt19937_64 rng(20261206);
  int next_id = 0;
  std::set<std::string> submitted_ids;
  for (int epoch = 0; epoch < 4; ++epoch) {
    auto store = Store::Open(dir.path(), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Recorder recorder;
    {
      WriterOptions options;
      if (coalesce) options.round_hook = recorder.coalescing_hook();
      Writer writer(**store, options);
      // Each thread submits its own records, and re-submits some of every thread's earlier
      // ones (duplicates, also of records written before a restart); some jobs fail after
      // their record was filled (neither it nor its roll-ups may stay).
      std::vector<std::vector<std::pair<Record, bool>>> per_thread(4);
      for (int i = 0; i < 1200; ++i) {
        Record r = (next_id > 0 && rng() % 6 == 0)
                       ? RandomRecord(rng, static_cast<int>(rng() % next_id))
                       : RandomRecord(rng, next_id++);
        // Only with the hook: without it a rolled-back job's id stays in the recorder's
        // recent set until its Done, and a retry in the same round would be skipped.
        bool fail = coalesce && rng() % 10 == 0;
        if (!fail) submitted_ids.insert(r.request_id);
        per_thread[rng() % 4].emplace_back(std::move(r), fail);
      }
      std::vector<std::thread> threads;
      for (auto& jobs : per_thread) {
        threads.emplace_back([&] {
          for (auto& [r, fail] : jobs) {
            writer.Submit(std::make_unique<RecordJob>(recorder, r, fail));
          }
        });
      }
      for (auto& t : threads) t.join();
    }  // the writer drains and stops
    if (epoch % 2 == 1) {
      ASSERT_TRUE((*store)->CompactAll().ok());
    }
    size_t records = 0;
    auto expected = ExpectedCells(**store, &records);
    EXPECT_EQ(records, submitted_ids.size()) << "epoch " << epoch;
    EXPECT_EQ(StoredCells(**store), expected) << "epoch " << epoch;
  }  // closed and reopened: a restart
}

TEST(RollupProperty, SpendQueriesAgreeWithTheRecords) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  std::mt19937_64 rng(5);
  Recorder recorder;
  std::vector<Record> all;
  {
    Writer writer(**store, {});
    for (int i = 0; i < 3000; ++i) {
      all.push_back(RandomRecord(rng, i));
      writer.Submit(std::make_unique<RecordJob>(recorder, all.back()));
    }
  }
  // December by team: sums of the December records by team.
  std::map<std::string, int64_t> cost_by_team, requests_by_team;
  int64_t tagged_acme = 0;
  for (const Record& r : all) {
    if (PeriodOf(Granularity::kMonth, r.wall_micros) != "202612") continue;
    cost_by_team[r.team] += r.cost_micros;
    requests_by_team[r.team] += 1;
    for (auto [k, v] : SplitTags(r.tags)) {
      if (k == "customer" && v == "acme") tagged_acme += r.cost_micros;
    }
  }
  SpendQuery q;
  ASSERT_TRUE(ParseGroupBy("team", &q).ok());
  ASSERT_TRUE(SetWindow("2026-12", std::nullopt, std::nullopt, 0, &q).ok());
  auto res = QuerySpend(**store, q, "eu-west");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->rows.size(), cost_by_team.size());
  int64_t total = 0;
  for (const SpendRow& row : res->rows) {
    EXPECT_EQ(row.value.cost_micros, cost_by_team[row.keys[0]]) << row.keys[0];
    EXPECT_EQ(row.value.requests, requests_by_team[row.keys[0]]);
    total += row.value.cost_micros;
  }
  EXPECT_EQ(res->totals.cost_micros, total);
  for (size_t i = 1; i < res->rows.size(); ++i) {
    EXPECT_GE(res->rows[i - 1].value.cost_micros, res->rows[i].value.cost_micros);
  }
  // The same month as a from/to window of whole days, and by a tag.
  SpendQuery days;
  ASSERT_TRUE(ParseGroupBy("tag:customer,region", &days).ok());
  ASSERT_TRUE(SetWindow("", 1'796'083'200'000'000, 1'798'761'600'000'000, 0, &days).ok());
  EXPECT_EQ(days.granularity, Granularity::kDay);
  EXPECT_EQ(days.periods.size(), 31u);
  auto by_tag = QuerySpend(**store, days, "eu-west");
  ASSERT_TRUE(by_tag.ok());
  int64_t acme = -1;
  for (const SpendRow& row : by_tag->rows) {
    EXPECT_EQ(row.keys[1], "eu-west");
    if (row.keys[0] == "acme") acme = row.value.cost_micros;
  }
  EXPECT_EQ(acme, tagged_acme);

  // A time series: December by day and team from the day cells, and one day by hour; each
  // group's sum equals the records of that day (hour) and team, and the groups add up to the
  // month's rows.
  std::map<std::pair<std::string, std::string>, int64_t> by_day, by_hour;
  for (const Record& r : all) {
    std::string d = PeriodOf(Granularity::kDay, r.wall_micros);
    if (d.substr(0, 6) != "202612") continue;
    by_day[{d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2), r.team}] += r.cost_micros;
    std::string h = PeriodOf(Granularity::kHour, r.wall_micros);
    if (d == "20261205") {
      by_hour[{"2026-12-05T" + h.substr(8, 2) + ":00:00Z", r.team}] += r.cost_micros;
    }
  }
  SpendQuery series;
  ASSERT_TRUE(ParseGroupBy("day,team", &series).ok());
  ASSERT_TRUE(SetWindow("2026-12", std::nullopt, std::nullopt, 0, &series).ok());
  EXPECT_EQ(series.granularity, Granularity::kDay);
  EXPECT_EQ(series.periods.size(), 31u);
  EXPECT_EQ(series.label, "2026-12");
  auto daily = QuerySpend(**store, series, "eu-west");
  ASSERT_TRUE(daily.ok());
  ASSERT_EQ(daily->rows.size(), by_day.size());
  for (const SpendRow& row : daily->rows) {
    EXPECT_EQ(row.value.cost_micros, (by_day[{row.keys[0], row.keys[1]}])) << row.keys[0];
  }
  EXPECT_EQ(daily->totals, res->totals);
  SpendQuery hourly;
  ASSERT_TRUE(ParseGroupBy("team,hour", &hourly).ok());
  ASSERT_TRUE(SetWindow("2026-12-05", std::nullopt, std::nullopt, 0, &hourly).ok());
  EXPECT_EQ(hourly.granularity, Granularity::kHour);
  EXPECT_EQ(hourly.periods.size(), 24u);
  auto hours = QuerySpend(**store, hourly, "eu-west");
  ASSERT_TRUE(hours.ok());
  ASSERT_EQ(hours->rows.size(), by_hour.size());
  for (const SpendRow& row : hours->rows) {
    EXPECT_EQ(row.value.cost_micros, (by_hour[{row.keys[1], row.keys[0]}])) << row.keys[1];
  }
}

TEST(SpendQuery, RefusesBadGroupByAndWindows) {
  SpendQuery q;
  EXPECT_FALSE(ParseGroupBy("team,colour", &q).ok());
  EXPECT_FALSE(ParseGroupBy("team,team", &q).ok());
  EXPECT_FALSE(ParseGroupBy("tag:a,tag:b", &q).ok());
  EXPECT_FALSE(ParseGroupBy("tag:", &q).ok());
  EXPECT_FALSE(ParseGroupBy("tag:a b", &q).ok());
  EXPECT_TRUE(ParseGroupBy("", &q).ok());
  EXPECT_FALSE(SetWindow("2026-13", std::nullopt, std::nullopt, 0, &q).ok());
  EXPECT_FALSE(SetWindow("2026", std::nullopt, std::nullopt, 0, &q).ok());
  EXPECT_FALSE(SetWindow("2026-12-32", std::nullopt, std::nullopt, 0, &q).ok());
  // More than 400 days by hour is too many cells; by day it is fine.
  ASSERT_TRUE(ParseGroupBy("hour", &q).ok());
  EXPECT_FALSE(SetWindow("", 0, int64_t{401} * 86400 * 1'000'000, 0, &q).ok());
  ASSERT_TRUE(ParseGroupBy("day", &q).ok());
  EXPECT_TRUE(SetWindow("", 0, int64_t{365} * 86400 * 1'000'000, 0, &q).ok());
  EXPECT_EQ(q.periods.size(), 365u);
  ASSERT_TRUE(ParseGroupBy("", &q).ok());
  EXPECT_FALSE(SetWindow("2026-12", 1, std::nullopt, 0, &q).ok());
  EXPECT_FALSE(SetWindow("", 10, 5, 0, &q).ok());
  EXPECT_FALSE(SetWindow("", 0, int64_t{3650} * 86400 * 1'000'000 + 1, 0, &q).ok());
  // Not on midnight: whole hours covering the window.
  ASSERT_TRUE(SetWindow("", 1'796'083'200'000'000 + 1, 1'796'083'200'000'000 + 3'600'000'000,
                        0, &q).ok());
  EXPECT_EQ(q.granularity, Granularity::kHour);
  EXPECT_EQ(q.periods, std::vector<std::string>{"2026120100"});
  // Nothing given: the current month.
  ASSERT_TRUE(SetWindow("", std::nullopt, std::nullopt, 1'796'083'200'000'000, &q).ok());
  EXPECT_EQ(q.label, "2026-12");
}

}  // namespace
}  // namespace edge::ledger
