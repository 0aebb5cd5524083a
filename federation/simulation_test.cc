// An in-process simulation of a federation: N Gossipers exchanging frames through a lossy
// network, seeded PRNG, one round per simulated second. It checks that the usage summaries and
// the membership converge within c * log2(N) rounds from a cold start (every node knows only
// the seeds), after updates while members are crashed, and after those members restart under
// a new generation continuing their counters (no double counting); and that the crashed
// members are declared dead while their summaries stay. It prints rounds to converge and bytes
// sent per node per second.
//
// Sizes: 100 and 500 members; under AddressSanitizer (or with EDGE_SIM_SMALL=1 in the
// environment) 100 and 200, so that the sanitizer build stays well under a minute.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>

#include "federation/gossiper.h"
#include "federation/test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define EDGE_SIM_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDGE_SIM_UNDER_ASAN 1
#endif
#endif

namespace edge::federation {
namespace {

using testing::Id;

constexpr int64_t kSecond = 1'000'000;
constexpr double kLoss = 0.07;  // each frame is lost with this probability
// The bound asserted: rounds to converge <= kC * log2(N). Epidemic spreading with push-pull
// and fanout 3 takes about log_4(N) + ln ln N rounds (Karp et al. 2000); the rest is slack for
// the cold start through three seeds, loss and the byte budget.
constexpr double kC = 2.0;

bool SmallRun() {
#ifdef EDGE_SIM_UNDER_ASAN
  return true;
#else
  const char* env = std::getenv("EDGE_SIM_SMALL");
  return env != nullptr && env[0] == '1';
#endif
}

class Simulation {
 public:
  Simulation(int n, uint64_t seed) : n_(n), rng_(seed) {
    for (int i = 0; i < n; ++i) {
      nodes_.push_back(Start(i, kGeneration));
      for (int c = 0; c < 3; ++c) SetUsage(i, c, static_cast<uint64_t>(i * 10 + c + 1));
    }
    for (int i = 0; i < 3 && i < n; ++i) seeds_.push_back(Address(i));
  }

  int n() const { return n_; }
  int64_t now() const { return now_; }

  // One round: every live node ticks and gossips with its targets, in a random order.
  void Round() {
    now_ += kSecond;
    std::vector<int> order;
    for (int i = 0; i < n_; ++i)
      if (nodes_[i]) order.push_back(i);
    std::shuffle(order.begin(), order.end(), rng_);
    for (int i : order) nodes_[i]->Tick(now_);
    for (int i : order) {
      for (const std::string& target : nodes_[i]->PickTargets(seeds_, rng_())) {
        int j = std::stoi(target.substr(1));
        if (!nodes_[j]) continue;  // connection refused
        Exchange(*nodes_[i], *nodes_[j]);
      }
    }
  }

  // Every live node holds the truth: all usage, every member, every current generation.
  bool Converged() const {
    for (const auto& node : nodes_) {
      if (!node) continue;
      if (!(node->usage_view() == truth_)) return false;
      std::vector<DigestEntry> digest = node->Digest();  // members = origins
      if (digest.size() != static_cast<size_t>(n_)) return false;
      for (const DigestEntry& d : digest) {
        if (d.generation != generation_.at(std::stoi(d.origin.substr(1)))) return false;
      }
    }
    return true;
  }

  // Rounds until Converged(), at most `limit`; -1 if not.
  int RoundsToConverge(int limit) {
    for (int r = 1; r <= limit; ++r) {
      Round();
      if (Converged()) return r;
    }
    return -1;
  }

  void Crash(int i) { nodes_[i].reset(); }
  // A restart: a new generation that reloads its counters (as from its ledger) and adds more.
  void Restart(int i) {
    int64_t gen = kGeneration + now_;
    nodes_[i] = Start(i, gen);
    for (int c = 0; c < 3; ++c) SetUsage(i, c, local_.at({i, c}).requests);  // reloaded
    SetUsage(i, 0, local_.at({i, 0}).requests + 5);                          // and served more
  }
  void SetUsage(int i, int c, uint64_t requests) {
    UsageCounters v = testing::Counters(requests);
    local_[{i, c}] = v;
    EXPECT_TRUE(nodes_[i]->SetUsage(Cell(c), v).ok());
    truth_.MergeUsage(Id("n", i), Cell(c), v);
  }

  uint64_t BytesSent() const { return bytes_sent_; }
  const Gossiper* node(int i) const { return nodes_[i].get(); }
  const UsageView& truth() const { return truth_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  static constexpr int64_t kGeneration = 1'700'000'000'000'000;

  static std::string Address(int i) { return Id("n", i) + ":7946"; }
  static UsageCell Cell(int c) { return testing::Cell(Id("team", c)); }

  std::unique_ptr<Gossiper> Start(int i, int64_t generation) {
    GossipOptions o = testing::Options(Id("n", i), generation, {"sim-key"});
    o.advertise = Address(i);
    o.region = i % 3 == 0 ? "eu-west" : i % 3 == 1 ? "us-east" : "ap-south";
    generation_[i] = generation;
    return std::make_unique<Gossiper>(o);
  }

  bool Lost() { return std::uniform_real_distribution<double>(0, 1)(rng_) < kLoss; }

  // SYN -> ACK -> ACK2 with each frame possibly lost.
  void Exchange(Gossiper& a, Gossiper& b) {
    std::vector<uint8_t> syn = a.BeginExchange(now_);
    bytes_sent_ += syn.size();
    if (Lost()) return;
    auto acks = b.OnFrame(syn, now_);
    ASSERT_TRUE(acks.ok()) << acks.status().ToString();
    for (const auto& ack : *acks) {
      bytes_sent_ += ack.size();
      if (Lost()) continue;
      auto ack2s = a.OnFrame(ack, now_);
      ASSERT_TRUE(ack2s.ok()) << ack2s.status().ToString();
      for (const auto& ack2 : *ack2s) {
        bytes_sent_ += ack2.size();
        if (Lost()) continue;
        ASSERT_TRUE(b.OnFrame(ack2, now_).ok());
      }
    }
  }

  int n_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Gossiper>> nodes_;
  std::vector<std::string> seeds_;
  std::map<int, int64_t> generation_;
  std::map<std::pair<int, int>, UsageCounters> local_;
  UsageView truth_;
  int64_t now_ = 0;
  uint64_t bytes_sent_ = 0;
};

void Simulate(int n, bool detect_deaths) {
  const int bound = static_cast<int>(std::ceil(kC * std::log2(n)));
  Simulation sim(n, /*seed=*/0x5eed + n);

  // 1. Cold start: everyone knows only the three seeds.
  uint64_t bytes0 = sim.BytesSent();
  int cold = sim.RoundsToConverge(bound);
  ASSERT_GT(cold, 0) << "N=" << n << ": not converged within " << bound << " rounds";
  double cold_bps = double(sim.BytesSent() - bytes0) / n / cold;

  // 2. Steady state: nothing changes but heartbeats.
  bytes0 = sim.BytesSent();
  const int kSteady = 3;
  for (int r = 0; r < kSteady; ++r) sim.Round();
  double steady_bps = double(sim.BytesSent() - bytes0) / n / kSteady;

  // 3. A few members crash (5 %), others keep serving: the rest converge on the new usage.
  std::vector<int> crashed;
  for (int i = 0; i < n / 20; ++i) {
    int victim = 3 + static_cast<int>(sim.rng()() % (n - 3));  // not a seed
    if (std::find(crashed.begin(), crashed.end(), victim) == crashed.end())
      crashed.push_back(victim);
  }
  for (int i : crashed) sim.Crash(i);
  for (int k = 0; k < 10; ++k) {
    int i = static_cast<int>(sim.rng()() % n);
    if (sim.node(i) != nullptr) sim.SetUsage(i, 1, 1'000'000 + k);
  }
  int updates = sim.RoundsToConverge(bound);
  ASSERT_GT(updates, 0) << "N=" << n << ": updates not converged within " << bound << " rounds";

  // 4. The crashed members are declared dead (phi >= 12: with heartbeats arriving through
  //    gossip every ~1.5 s on average, ~40 s of silence), and their summaries stay, not
  //    reachable. (Only where asked: these rounds cost O(N^2) each.)
  int observer = 0;
  while (sim.node(observer) == nullptr) ++observer;
  for (int r = 0; detect_deaths && r < 60; ++r) sim.Round();
  GlobalUsage view = sim.node(observer)->Usage(sim.now());
  for (int i : detect_deaths ? crashed : std::vector<int>{}) {
    const MemberInfo* m = nullptr;
    std::vector<MemberInfo> members = sim.node(observer)->Members(sim.now());
    for (const MemberInfo& x : members)
      if (x.id == Id("n", i)) m = &x;
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->state, MemberState::kDead) << m->id << " phi " << m->phi;
    for (const OriginUsage& o : view.origins)
      if (o.id == m->id) {
        EXPECT_FALSE(o.reachable);
        EXPECT_EQ(o.cells.size(), 3u);
      }
  }
  EXPECT_EQ(sim.node(observer)->usage_view(), sim.truth());

  // 5. They restart under a new generation, continuing their counters: converged again, with
  //    the new incarnations everywhere and nothing counted twice.
  for (int i : crashed) sim.Restart(i);
  int restarts = sim.RoundsToConverge(bound);
  ASSERT_GT(restarts, 0) << "N=" << n << ": restarts not converged within " << bound << " rounds";
  uint64_t total = 0;
  for (const auto& [cell, c] : sim.node(observer)->usage_view().Total()) total += c.requests;
  uint64_t want = 0;
  for (const auto& [cell, c] : sim.truth().Total()) want += c.requests;
  EXPECT_EQ(total, want);

  std::printf(
      "simulation N=%d loss=%.0f%% crashed=%zu: rounds to converge cold=%d updates=%d "
      "restarts=%d (bound %.1f*log2(N)=%d); bytes per node per second: cold start %.0f, "
      "steady %.0f\n",
      n, kLoss * 100, crashed.size(), cold, updates, restarts, kC, bound, cold_bps, steady_bps);
}

TEST(Simulation, HundredMembersConvergeInLogRounds) { Simulate(100, /*detect_deaths=*/true); }

TEST(Simulation, ManyMembersConvergeInLogRounds) {
  Simulate(SmallRun() ? 200 : 500, /*detect_deaths=*/false);
}

}  // namespace
}  // namespace edge::federation
