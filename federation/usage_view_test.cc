#include "federation/usage_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace edge::federation {
namespace {

// One summary as an origin would send it: the origin's counters for a cell at some moment.
struct Update {
  std::string origin;
  UsageCell cell;
  UsageCounters counters;
  BudgetCell budget;
  uint64_t spend = 0;
};

// Random histories: each origin's counters only grow over its updates, across restarts too
// (a restarted origin continues from its ledger), and each update carries the whole value.
std::vector<Update> History(std::mt19937_64& rng, int origins, int steps) {
  std::vector<Update> out;
  std::vector<std::map<std::string, UsageCounters>> now(origins);
  std::vector<std::map<std::string, uint64_t>> spend(origins);
  const char* teams[] = {"a", "b", "c"};
  for (int i = 0; i < steps; ++i) {
    int o = static_cast<int>(rng() % origins);
    std::string team = teams[rng() % 3];
    UsageCounters& c = now[o][team];
    c.requests += rng() % 3;
    c.input_tokens += rng() % 1000;
    c.output_tokens += rng() % 1000;
    c.cached_tokens += rng() % 10;
    c.cost_micro_usd += rng() % 100000;
    c.estimated_cost_micro_usd += rng() % 100000;
    uint64_t& s = spend[o][team];
    s += rng() % 5000;
    // (append, not "o" + string: gcc 12 warns -Wrestrict on that spelling, a false positive)
    std::string origin = "o", subject = "team:";
    origin.append(std::to_string(o));
    subject.append(team);
    out.push_back({origin, {"2026-12", team, "f", "prod", "m"}, c, {"2026-12", subject}, s});
  }
  return out;
}

UsageView Apply(const std::vector<Update>& updates) {
  UsageView v;
  for (const Update& u : updates) {
    v.MergeUsage(u.origin, u.cell, u.counters);
    v.MergeBudget(u.origin, u.budget, u.spend);
  }
  return v;
}

TEST(UsageView, AnyOrderAndDuplicatesGiveTheSameState) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Update> h = History(rng, 4, 60);
    UsageView in_order = Apply(h);
    std::vector<Update> shuffled = h;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    // Duplicates: some updates received two or three times, late.
    for (int i = 0; i < 30; ++i) shuffled.push_back(h[rng() % h.size()]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(Apply(shuffled), in_order) << trial;
    // And the total equals the last value of every origin's cells, summed.
    std::map<std::pair<std::string, std::string>, UsageCounters> last;
    for (const Update& u : h) last[{u.origin, u.cell.team}] = u.counters;
    std::map<std::string, uint64_t> requests;
    for (const auto& [key, c] : last) requests[key.second] += c.requests;
    auto total = in_order.Total();
    for (const auto& [team, n] : requests)
      EXPECT_EQ(total.at({"2026-12", team, "f", "prod", "m"}).requests, n);
  }
}

TEST(UsageView, MergeIsIdempotentCommutativeAssociative) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Update> h = History(rng, 5, 90);
    // Three replicas that each saw a random subset of the history, in a random order.
    UsageView r[3];
    for (const Update& u : h) {
      for (auto& v : r) {
        if (rng() % 2) {
          v.MergeUsage(u.origin, u.cell, u.counters);
          v.MergeBudget(u.origin, u.budget, u.spend);
        }
      }
    }
    UsageView aa = r[0];
    aa.Merge(r[0]);
    EXPECT_EQ(aa, r[0]) << "idempotent";
    UsageView ab = r[0], ba = r[1];
    ab.Merge(r[1]);
    ba.Merge(r[0]);
    EXPECT_EQ(ab, ba) << "commutative";
    UsageView ab_c = ab, a_bc = r[0], bc = r[1];
    ab_c.Merge(r[2]);
    bc.Merge(r[2]);
    a_bc.Merge(bc);
    EXPECT_EQ(ab_c, a_bc) << "associative";
    // Each replica's view never exceeds the truth, and all of them joined is the truth when
    // every update reached at least one of them... which the full history join checks:
    UsageView all = ab_c;
    all.Merge(Apply(h));
    EXPECT_EQ(all, Apply(h));
  }
}

TEST(UsageView, ARestartedOriginNeverGoesBackNorCountsTwice) {
  UsageView v;
  UsageCell cell{"2026-12", "t", "f", "prod", "m"};
  v.MergeUsage("a", cell, {10, 100, 200, 5, 1000, 900});
  // Generation 2 continues from its ledger: equal or larger values, never added on top.
  EXPECT_FALSE(v.MergeUsage("a", cell, {10, 100, 200, 5, 1000, 900}));
  EXPECT_TRUE(v.MergeUsage("a", cell, {11, 100, 250, 5, 1100, 900}));
  // A stale summary of generation 1 arriving late changes nothing.
  EXPECT_FALSE(v.MergeUsage("a", cell, {10, 100, 200, 5, 1000, 900}));
  EXPECT_EQ(v.Total().at(cell), (UsageCounters{11, 100, 250, 5, 1100, 900}));
  v.MergeUsage("b", cell, {1, 1, 1, 1, 1, 1});
  EXPECT_EQ(v.Total().at(cell), (UsageCounters{12, 101, 251, 6, 1101, 901}));
  // Budget cells: max per origin, summed over origins.
  v.MergeBudget("a", {"2026-12", "team:t"}, 500);
  v.MergeBudget("a", {"2026-12", "team:t"}, 300);
  v.MergeBudget("b", {"2026-12", "team:t"}, 70);
  EXPECT_EQ(v.BudgetTotal({"2026-12", "team:t"}), 570u);
  EXPECT_EQ(v.BudgetTotal({"2026-12", "team:t"}, "a"), 70u);
  EXPECT_EQ(v.BudgetTotal({"2026-11", "team:t"}), 0u);
}

TEST(UsageView, SumsSaturateInsteadOfWrapping) {
  UsageView v;
  UsageCell cell{"2026-12", "t", "f", "prod", "m"};
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  v.MergeUsage("a", cell, {max, 0, 0, 0, max, 0});
  v.MergeUsage("b", cell, {1, 0, 0, 0, 5, 0});
  EXPECT_EQ(v.Total().at(cell).requests, max);
  EXPECT_EQ(v.Total().at(cell).cost_micro_usd, max);
}

}  // namespace
}  // namespace edge::federation
