#include "ledger/budgets.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ledger/rollup_key.h"

namespace edge::ledger {
namespace {

TEST(Account, AdmitsWhileSpentPlusReservedIsBelowTheBudgetAndTheCrossingOneSucceeds) {
  Account a("key", "k");
  a.SetLimits(1000, std::nullopt, std::nullopt, std::nullopt);
  EXPECT_TRUE(a.TryReserve(600));   // 0 < 1000
  EXPECT_TRUE(a.TryReserve(600));   // 600 < 1000: admitted, and crosses
  EXPECT_FALSE(a.TryReserve(1));    // 1200 >= 1000
  EXPECT_EQ(a.reserved_micros(), 1200);
  EXPECT_EQ(a.Settle(600, 550), 550);
  EXPECT_EQ(a.Settle(600, 700), 1250);
  EXPECT_EQ(a.reserved_micros(), 0);
  EXPECT_FALSE(a.TryReserve(1));
}

TEST(Account, AHundredConcurrentRequestsAgainstABudgetThatFitsOneLetThroughAtMostTwo) {
  for (int round = 0; round < 50; ++round) {
    Account a("team", "t");
    a.SetLimits(1000, std::nullopt, std::nullopt, std::nullopt);
    std::atomic<int> admitted{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 100; ++i) {
      threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        if (a.TryReserve(1000)) admitted.fetch_add(1);  // the estimate is the real cost
      });
    }
    go.store(true);
    for (auto& t : threads) t.join();
    EXPECT_EQ(admitted.load(), 1);  // estimate == budget: exactly one
  }
  // Estimates of half the cost: the one that crosses, and no more.
  Account half("key", "k");
  half.SetLimits(1000, std::nullopt, std::nullopt, std::nullopt);
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += half.TryReserve(500);
  EXPECT_EQ(admitted, 2);
}

TEST(Account, AGlobalBudgetCountsTheOtherNodesSpendOfTheSameMonth) {
  Account a("team", "t");
  a.LoadSpent(600, 200);
  a.SetGlobalBudget(1000);
  EXPECT_EQ(a.remote_spent_micros(), 0);
  a.SetRemoteSpent(599, 5000);  // last month: not this month's spend
  EXPECT_EQ(a.remote_spent_micros(), 0);
  EXPECT_TRUE(a.TryReserve(100));  // 0 + 300 < 1000
  a.SetRemoteSpent(600, 600);
  EXPECT_TRUE(a.TryReserve(100));   // 600 + 400 - 100 = 900 < 1000: admitted, crosses
  EXPECT_FALSE(a.TryReserve(100));  // 600 + 400 >= 1000
  EXPECT_TRUE(a.GlobalExhausted());
  a.Unreserve(200);
  EXPECT_FALSE(a.GlobalExhausted());  // 600 + 200 < 1000
  // A local budget that refuses first is named as the reason.
  a.SetLimits(200, std::nullopt, std::nullopt, std::nullopt);
  EXPECT_FALSE(a.TryReserve(1));
  EXPECT_FALSE(a.GlobalExhausted());
  // The month rolls over: the remote spend of the old month no longer counts.
  a.RollOver(601);
  EXPECT_EQ(a.remote_spent_micros(), 0);
}

TEST(Account, GlobalOvershootIsAtMostOneRequestPerNodeWhenTheViewIsCurrent) {
  // Two nodes, each seeing the other's settled spend exactly (gossip caught up): requests of
  // cost 300 against a global 1000 alternate between them.
  Account n1("key", "k"), n2("key", "k");
  for (Account* a : {&n1, &n2}) {
    a->LoadSpent(600, 0);
    a->SetGlobalBudget(1000);
  }
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    Account& self = i % 2 ? n2 : n1;
    Account& other = i % 2 ? n1 : n2;
    self.SetRemoteSpent(600, other.spent_micros());
    if (self.TryReserve(300)) {
      self.Settle(300, 300);
      ++admitted;
    }
  }
  // 0, 300, 600, 900 < 1000: four admitted; the total 1200 overshoots by less than one request.
  EXPECT_EQ(admitted, 4);
  EXPECT_LT(n1.spent_micros() + n2.spent_micros(), 1000 + 300);
}

TEST(Account, NoBudgetAdmitsEverythingAndStillCounts) {
  Account a("key", "k");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(a.TryReserve(100));
  for (int i = 0; i < 10; ++i) a.Settle(100, 50);
  EXPECT_EQ(a.spent_micros(), 500);
}

TEST(Account, SpentSurvivesThroughLoadSpentAndResetsWithTheMonth) {
  Account a("key", "k");
  a.SetLimits(1000, std::nullopt, std::nullopt, std::nullopt);
  a.LoadSpent(683, 1000);  // what the roll-ups said at start
  EXPECT_FALSE(a.TryReserve(1));
  a.RollOver(683);  // same month: nothing changes
  EXPECT_FALSE(a.TryReserve(1));
  a.RollOver(684);
  EXPECT_EQ(a.spent_micros(), 0);
  EXPECT_TRUE(a.TryReserve(1));
  a.RollOver(683);  // never backwards
  EXPECT_EQ(a.reserved_micros(), 1);
}

TEST(Account, SoftThresholdIsReportedOncePerCrossing) {
  Account a("team", "t");
  a.SetLimits(std::nullopt, 100, std::nullopt, std::nullopt);
  int64_t s = a.Settle(0, 60);
  EXPECT_FALSE(a.CrossedSoft(s, 60));
  s = a.Settle(0, 60);
  EXPECT_TRUE(a.CrossedSoft(s, 60));
  s = a.Settle(0, 60);
  EXPECT_FALSE(a.CrossedSoft(s, 60));
}

TEST(RateLimit, RpmAdmitsAMinutesWorthThenSaysWhenToRetry) {
  RateLimit rpm(3);
  const int64_t t0 = 1'000'000'000;
  EXPECT_EQ(rpm.TryTake(1, t0), 0);
  EXPECT_EQ(rpm.TryTake(1, t0), 0);
  EXPECT_EQ(rpm.TryTake(1, t0), 0);
  int64_t wait = rpm.TryTake(1, t0);
  EXPECT_EQ(wait, 20'000'000);  // one request's worth refills in 60 s / 3
  EXPECT_GT(rpm.TryTake(1, t0 + wait - 1), 0);
  EXPECT_EQ(rpm.TryTake(1, t0 + wait), 0);
}

TEST(RateLimit, TpmChargesTokensAndSettlesBack) {
  RateLimit tpm(1000);
  const int64_t t0 = 5'000'000'000;
  EXPECT_EQ(tpm.TryTake(800, t0), 0);
  EXPECT_GT(tpm.TryTake(300, t0), 0);
  tpm.Adjust(-500);  // the request used 300, not 800
  EXPECT_EQ(tpm.TryTake(300, t0), 0);
  // A single request above the whole limit waits for a full bucket, then passes.
  RateLimit small(10);
  EXPECT_EQ(small.TryTake(50, t0), 0);
  EXPECT_GT(small.TryTake(50, t0), 0);
}

TEST(RateLimit, ConcurrentTakersNeverExceedTheLimit) {
  RateLimit rpm(600);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) admitted += rpm.TryTake(1, 42'000'000) == 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 600);
}

TEST(BudgetBook, FindsWhatWasCreatedAndKeepsAccountsStable) {
  BudgetBook book;
  Account* k = book.GetOrCreate("key", "a");
  EXPECT_EQ(book.GetOrCreate("key", "a"), k);
  EXPECT_EQ(book.Find("key", "a"), k);
  EXPECT_EQ(book.Find("team", "a"), nullptr);
  Account* t = book.GetOrCreate("team", "a");
  EXPECT_EQ(book.Find("key", "a"), k);
  EXPECT_EQ(book.Find("team", "a"), t);
  EXPECT_EQ(book.All().size(), 2u);
}

TEST(Months, IndexAndNextStart) {
  EXPECT_EQ(MonthIndex(0), 0);
  EXPECT_EQ(MonthIndex(1'796'083'200'000'000), (2026 - 1970) * 12 + 11);  // 2026-12-01
  EXPECT_EQ(NextMonthStartMicros(1'796'083'200'000'000), 1'798'761'600'000'000);
}

// MonthIndex is computed, not read back from PeriodOf's digits: both name the same month for
// every time, around month ends, before 1970 and where PeriodOf holds the year to 0..9999.
TEST(Months, IndexIsTheMonthPeriodOfNames) {
  auto spelled = [](int64_t t) {
    const std::string p = PeriodOf(Granularity::kMonth, t);
    return (std::stoi(p.substr(0, 4)) - 1970) * 12 + (std::stoi(p.substr(4, 2)) - 1);
  };
  const int64_t day = int64_t{86'400} * 1'000'000;
  std::vector<int64_t> times = {0, -1, 1, day - 1, -day, -day - 1, 1'798'761'599'999'999,
                                1'798'761'600'000'000, 253'402'300'799'999'999,
                                253'402'300'800'000'000, -62'167'219'200'000'000,
                                -62'167'219'200'000'001, INT64_MAX / 4, INT64_MIN / 4};
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    times.push_back(static_cast<int64_t>(x % (uint64_t{1} << 59)) - (int64_t{1} << 58));
  }
  for (int64_t t : times) EXPECT_EQ(MonthIndex(t), spelled(t)) << t;
}

}  // namespace
}  // namespace edge::ledger
