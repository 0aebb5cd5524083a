#include "federation/gossiper.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <optional>
#include <random>
#include <set>

#include "federation/codec.h"
#include "federation/frame.h"
#include "federation/test_util.h"

namespace edge::federation {
namespace {

using testing::Cell;
using testing::Counters;
using testing::Exchange;
using testing::Id;
using testing::Options;

constexpr int64_t kSecond = 1'000'000;

const OriginUsage* FindOrigin(const GlobalUsage& g, const std::string& id) {
  for (const OriginUsage& o : g.origins)
    if (o.id == id) return &o;
  return nullptr;
}

// A copy: the views are returned by value, often as temporaries.
std::optional<MemberInfo> FindMember(const std::vector<MemberInfo>& ms, const std::string& id) {
  for (const MemberInfo& m : ms)
    if (m.id == id) return m;
  return std::nullopt;
}

TEST(Gossiper, OneExchangeCarriesBothWays) {
  Gossiper a(Options("a")), b(Options("b"));
  ASSERT_TRUE(a.SetUsage(Cell("search"), Counters(3)).ok());
  ASSERT_TRUE(a.SetBudgetSpend({"2026-12", "team:search"}, 3000).ok());
  ASSERT_TRUE(b.SetUsage(Cell("ads"), Counters(5)).ok());
  ASSERT_TRUE(Exchange(b, a, kSecond));  // b initiates: a's state comes in the ACK, b's in the ACK2
  for (Gossiper* g : {&a, &b}) {
    GlobalUsage u = g->Usage(kSecond);
    ASSERT_EQ(u.origins.size(), 2u);
    EXPECT_EQ(FindOrigin(u, "a")->cells.at(0).counters, Counters(3));
    EXPECT_EQ(FindOrigin(u, "b")->cells.at(0).counters, Counters(5));
    EXPECT_EQ(g->usage_view().BudgetTotal({"2026-12", "team:search"}), 3000u);
    EXPECT_EQ(g->usage_view().Total().size(), 2u);
  }
  std::vector<MemberInfo> ms = b.Members(kSecond);
  ASSERT_EQ(ms.size(), 2u);
  std::optional<MemberInfo> ma = FindMember(ms, "a");
  EXPECT_FALSE(ma->self);
  EXPECT_EQ(ma->address, "a:7946");
  EXPECT_EQ(ma->region, "eu-west");
  EXPECT_EQ(ma->jurisdiction, "EU");
  EXPECT_EQ(ma->admin_url, "http://a:8080");
  EXPECT_EQ(ma->incarnation, 1'000'000);
  EXPECT_EQ(ma->state, MemberState::kAlive);
  EXPECT_EQ(ma->last_seen_us, kSecond);
  EXPECT_TRUE(FindMember(ms, "b")->self);
  // Nothing new: a second exchange moves no entries.
  uint64_t applied = a.stats().entries_applied + b.stats().entries_applied;
  ASSERT_TRUE(Exchange(a, b, 2 * kSecond));
  EXPECT_EQ(a.stats().entries_applied + b.stats().entries_applied, applied);
}

TEST(Gossiper, StateSpreadsThroughIntermediaries) {
  Gossiper a(Options("a")), b(Options("b")), c(Options("c"));
  ASSERT_TRUE(a.SetUsage(Cell("t"), Counters(7)).ok());
  ASSERT_TRUE(Exchange(a, b, kSecond));
  ASSERT_TRUE(Exchange(c, b, kSecond));
  EXPECT_EQ(c.usage_view().Total().at(Cell("t")), Counters(7));
  EXPECT_EQ(c.Members(kSecond).size(), 3u);
  // c knows a's address only through b, and picks it as a target.
  std::set<std::string> picked;
  for (uint64_t r = 0; r < 50; ++r)
    for (const std::string& t : c.PickTargets({}, r)) picked.insert(t);
  EXPECT_EQ(picked, (std::set<std::string>{"a:7946", "b:7946"}));
}

TEST(Gossiper, LocalValuesOnlyGrow) {
  Gossiper a(Options("a")), b(Options("b"));
  ASSERT_TRUE(a.SetUsage(Cell("t"), Counters(10)).ok());
  std::vector<DigestEntry> before = a.Digest();
  ASSERT_TRUE(a.SetUsage(Cell("t"), Counters(9)).ok());  // smaller: ignored
  ASSERT_TRUE(a.SetBudgetSpend({"m", "team:t"}, 5).ok());
  ASSERT_TRUE(a.SetBudgetSpend({"m", "team:t"}, 4).ok());
  ASSERT_TRUE(a.SetChainHead(10, "aa").ok());
  ASSERT_TRUE(a.SetChainHead(9, "bb").ok());
  ASSERT_TRUE(a.SetDigest("d1").ok());
  ASSERT_TRUE(a.SetDigest("d1").ok());
  EXPECT_EQ(a.Digest()[0].max_version, before[0].max_version + 3);
  UsageCounters mixed = Counters(9);
  mixed.output_tokens = 10'000;  // one field larger: per field max
  ASSERT_TRUE(a.SetUsage(Cell("t"), mixed).ok());
  UsageCounters want = Counters(10);
  want.output_tokens = 10'000;
  ASSERT_TRUE(Exchange(b, a, kSecond));
  EXPECT_EQ(b.usage_view().Total().at(Cell("t")), want);
  // Over-long strings are refused and change nothing.
  EXPECT_FALSE(a.SetUsage(Cell(std::string(kMaxNameBytes + 1, 't')), Counters(1)).ok());
  EXPECT_FALSE(a.SetDigest(std::string(kMaxDigestBytes + 1, 'd')).ok());
  EXPECT_FALSE(a.SetChainHead(11, std::string(kMaxNameBytes + 1, 'h')).ok());
  EXPECT_EQ(a.Digest()[0].max_version, before[0].max_version + 4);
}

TEST(Gossiper, ARestartIsANewGenerationThatContinuesItsCounters) {
  auto a1 = std::make_unique<Gossiper>(Options("a", 1'000'000));
  Gossiper b(Options("b")), c(Options("c"));
  ASSERT_TRUE(a1->SetUsage(Cell("t"), Counters(10)).ok());
  ASSERT_TRUE(a1->SetUsage(Cell("old"), Counters(4)).ok());
  ASSERT_TRUE(a1->SetChainHead(100, "h100").ok());
  ASSERT_TRUE(Exchange(b, *a1, kSecond));
  std::vector<uint8_t> stale_syn = a1->BeginExchange(kSecond);
  auto stale_ack = c.OnFrame(stale_syn, kSecond);  // c's ACK to gen 1: replayed to b below
  ASSERT_TRUE(stale_ack.ok());
  // A gen 1 ACK2 that b would receive late (replayed or delayed).
  auto stale_ack2 = b.OnFrame(a1->BeginExchange(kSecond), kSecond);
  ASSERT_TRUE(stale_ack2.ok());
  std::vector<uint8_t> gen1_ack = stale_ack2->at(0);

  a1.reset();  // crash
  Gossiper a2(Options("a", 5'000'000));
  ASSERT_TRUE(a2.SetUsage(Cell("t"), Counters(10)).ok());  // reloaded from its ledger...
  ASSERT_TRUE(a2.SetUsage(Cell("t"), Counters(12)).ok());  // ...and served more since
  ASSERT_TRUE(a2.SetChainHead(130, "h130").ok());
  ASSERT_TRUE(Exchange(a2, b, 10 * kSecond));
  std::optional<MemberInfo> m = FindMember(b.Members(10 * kSecond), "a");
  EXPECT_EQ(m->incarnation, 5'000'000);
  EXPECT_EQ(m->state, MemberState::kAlive);
  auto total = b.usage_view().Total();
  EXPECT_EQ(total.at(Cell("t")), Counters(12)) << "continued, not doubled";
  EXPECT_EQ(total.at(Cell("old")), Counters(4)) << "gen 1's cells stay in the merged view";
  // Gen 1 heard again (its frames replayed, or a peer still holding gen 1): no effect.
  auto r = a2.OnFrame(gen1_ack, 11 * kSecond);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(a2.Digest(), a2.Digest());
  EXPECT_EQ(b.usage_view().Total().at(Cell("t")), Counters(12));
  // a2 never takes b's memory of its old generation for its own, and b moved to gen 2.
  EXPECT_EQ(a2.stats().self_conflicts, 0u);
  EXPECT_EQ(FindMember(a2.Members(11 * kSecond), "a")->incarnation, 5'000'000);
  // Both heads were witnessed, with their generations.
  std::vector<WitnessEntry> w = b.Witnessed("a");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].seq, 100u);
  EXPECT_EQ(w[0].generation, 1'000'000);
  EXPECT_EQ(w[0].received_at_us, kSecond);
  EXPECT_EQ(w[1].seq, 130u);
  EXPECT_EQ(w[1].generation, 5'000'000);
  EXPECT_EQ(w[1].received_at_us, 10 * kSecond);
}

TEST(Gossiper, AnotherNodeWithThisIdAndANewerGenerationIsCountedNotObeyed) {
  Gossiper a(Options("a", 1'000'000)), impostor(Options("a", 9'000'000)), b(Options("b"));
  ASSERT_TRUE(impostor.SetUsage(Cell("t"), Counters(99)).ok());
  ASSERT_TRUE(Exchange(b, impostor, kSecond));
  ASSERT_TRUE(Exchange(b, a, kSecond));
  EXPECT_GT(a.stats().self_conflicts, 0u);
  EXPECT_EQ(a.Digest().size(), 2u);
  EXPECT_EQ(a.usage_view().Total().size(), 0u) << "its own state is written only by itself";
}

TEST(Gossiper, WitnessesHeadsAndDigests) {
  Gossiper a(Options("a")), b(Options("b"));
  ASSERT_TRUE(a.SetChainHead(5, "h5").ok());
  ASSERT_TRUE(a.SetDigest(R"({"n":1})").ok());
  ASSERT_TRUE(Exchange(b, a, 3 * kSecond));
  ASSERT_TRUE(a.SetChainHead(9, "h9").ok());
  ASSERT_TRUE(a.SetDigest(R"({"n":2})").ok());
  ASSERT_TRUE(Exchange(b, a, 4 * kSecond));
  ASSERT_TRUE(Exchange(b, a, 5 * kSecond));  // nothing new: nothing recorded twice
  std::vector<WitnessEntry> w = b.Witnessed("a");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].kind, WitnessEntry::Kind::kChainHead);
  EXPECT_EQ(w[0].hash_hex, "h5");
  EXPECT_EQ(w[0].received_at_us, 3 * kSecond);
  EXPECT_EQ(w[1].hash_hex, "h9");
  EXPECT_EQ(w[1].received_at_us, 4 * kSecond);
  EXPECT_EQ(w[2].kind, WitnessEntry::Kind::kDigest);
  EXPECT_EQ(w[2].digest, R"({"n":1})");
  EXPECT_EQ(w[3].digest, R"({"n":2})");
  EXPECT_TRUE(b.Witnessed("nobody").empty());
  EXPECT_TRUE(a.Witnessed("a").empty()) << "a node witnesses others, not itself";
}

TEST(Gossiper, AliveThenSuspectThenDeadAndBackAfterARestart) {
  GossipOptions ob = Options("b");
  ob.interval_ms = 1000;
  Gossiper a(Options("a")), b(ob);
  int64_t now = 0;
  for (int i = 0; i < 10; ++i) {
    now += kSecond;
    a.Tick(now);
    b.Tick(now);
    ASSERT_TRUE(Exchange(a, b, now));
  }
  ASSERT_TRUE(a.SetUsage(Cell("t"), Counters(1)).ok());
  ASSERT_TRUE(Exchange(a, b, now));
  const int64_t last = now;
  // Heartbeats arrived at 1, 2, ... 10 s: the 2 s seed and nine 1 s intervals, mean = 11 s / 10;
  // phi = t / (mean ln 10).
  const double mean = 11.0 * kSecond / 10;
  auto at = [&](double phi) { return last + static_cast<int64_t>(phi * mean * std::log(10.0)); };
  EXPECT_EQ(FindMember(b.Members(at(4.9)), "a")->state, MemberState::kAlive);
  EXPECT_EQ(FindMember(b.Members(at(5.1)), "a")->state, MemberState::kSuspect);
  EXPECT_EQ(FindMember(b.Members(at(11.9)), "a")->state, MemberState::kSuspect);
  const int64_t dead_at = at(12.1);
  std::optional<MemberInfo> m = FindMember(b.Members(dead_at), "a");
  EXPECT_EQ(m->state, MemberState::kDead);
  EXPECT_NEAR(m->phi, 12.1, 1e-3);
  EXPECT_EQ(m->last_seen_us, last);
  // A dead member's summaries stay, shown not reachable, with their age.
  GlobalUsage usage = b.Usage(dead_at);
  const OriginUsage* o = FindOrigin(usage, "a");
  ASSERT_NE(o, nullptr);
  EXPECT_FALSE(o->reachable);
  EXPECT_EQ(o->as_of_us, last);
  EXPECT_EQ(o->cells.at(0).counters, Counters(1));
  EXPECT_TRUE(FindOrigin(b.Usage(dead_at), "b")->reachable);
  // Restarted: a new generation is alive again.
  Gossiper a2(Options("a", 2'000'000));
  ASSERT_TRUE(Exchange(a2, b, dead_at));
  EXPECT_EQ(FindMember(b.Members(dead_at), "a")->state, MemberState::kAlive);
}

TEST(Gossiper, PickTargetsPrefersLiveMembersAndSometimesTriesDeadOnesAndSeeds) {
  GossipOptions o = Options("hub");
  Gossiper hub(o);
  std::vector<std::unique_ptr<Gossiper>> peers;
  for (int i = 0; i < 10; ++i) {
    peers.push_back(std::make_unique<Gossiper>(Options(Id("p", i))));
    peers.back()->Tick(kSecond);
    ASSERT_TRUE(Exchange(*peers.back(), hub, kSecond));
  }
  // Alone: only a seed, never itself.
  Gossiper lonely(Options("lonely"));
  EXPECT_EQ(lonely.PickTargets({"lonely:7946", "seed:1"}, 1), std::vector<std::string>{"seed:1"});
  EXPECT_TRUE(lonely.PickTargets({}, 1).empty());
  // All live: `fanout` distinct members, every one of them chosen over many rounds.
  std::map<std::string, int> counts;
  int seeds = 0;
  for (uint64_t r = 0; r < 2000; ++r) {
    std::vector<std::string> t = hub.PickTargets({"seed:1"}, r);
    std::set<std::string> distinct(t.begin(), t.end());
    EXPECT_EQ(distinct.size(), t.size());
    int members = 0;
    for (const std::string& s : t) {
      EXPECT_NE(s, "hub:7946");
      if (s == "seed:1")
        ++seeds;
      else {
        ++members;
        ++counts[s];
      }
    }
    EXPECT_EQ(members, 3);
  }
  EXPECT_EQ(counts.size(), 10u);
  for (const auto& [addr, n] : counts) EXPECT_NEAR(n, 600, 120) << addr;
  EXPECT_NEAR(seeds, 2000 / 11, 60) << "probability seeds / (live + dead + 1)";
  // Nine go silent for a long time: they are dead, the tenth keeps gossiping.
  const int64_t later = 200 * kSecond;
  hub.Tick(later);
  peers[0]->Tick(later);
  ASSERT_TRUE(Exchange(*peers[0], hub, later));
  int dead_tries = 0;
  for (uint64_t r = 0; r < 2000; ++r) {
    std::vector<std::string> t = hub.PickTargets({}, r);
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(t[0], "p0:7946") << "the only live member first";
    dead_tries += static_cast<int>(t.size()) - 1;
  }
  // With 1 live and 9 dead the dead one is tried with probability 9 / 2, i.e. always.
  EXPECT_EQ(dead_tries, 2000);
}

// A frame sealed with key k around a raw msgpack body.
std::vector<uint8_t> Sealed(const std::vector<uint8_t>& body, const std::string& k = "k1") {
  return SealFrame(body, k);
}

TEST(Gossiper, EveryBadFrameIsDroppedCountedAndChangesNothing) {
  Gossiper a(Options("a")), b(Options("b"));
  ASSERT_TRUE(b.SetUsage(Cell("t"), Counters(1)).ok());
  std::vector<uint8_t> good_syn = b.BeginExchange(kSecond);
  std::vector<uint8_t> ack = a.OnFrame(good_syn, kSecond)->at(0);
  auto digest_before = a.Digest();

  std::vector<uint8_t> truncated(ack.begin(), ack.end() - 1);
  std::vector<uint8_t> version = ack;
  version[4] = 2;
  std::vector<uint8_t> tag = ack;
  tag.back() ^= 1;
  std::vector<uint8_t> wrong_key = Gossiper(Options("x", 1, {"other"})).BeginExchange(kSecond);
  std::vector<uint8_t> garbage = Sealed({0xc1});
  std::vector<uint8_t> schema = Sealed({0x93, 0x09, 0xa1, 'x', 0x90});
  Message lying;  // meta of someone else inside a's delta
  lying.type = MessageType::kAck2;
  lying.from = "x";
  lying.deltas.push_back({"victim", 7, {{1, NodeMeta{"x", "r", "j", "x:1", "", 7}}}});
  std::vector<uint8_t> inconsistent = Sealed(EncodeMessage(lying));
  std::vector<uint8_t> oversized = Sealed(std::vector<uint8_t>(2 << 20, 0xc0));
  Message empty_delta;  // well-formed, but teaches nothing: no origin is made of it
  empty_delta.type = MessageType::kAck2;
  empty_delta.deltas.push_back({"ghost", 7, {}});
  ASSERT_TRUE(b.OnFrame(Sealed(EncodeMessage(empty_delta)), kSecond).ok());
  EXPECT_EQ(b.Digest().size(), 1u);

  struct Case {
    std::vector<uint8_t>* frame;
    DropReason reason;
    Code code;
  };
  for (Case c : {Case{&truncated, DropReason::kSize, Code::kInvalidArgument},
                 Case{&oversized, DropReason::kSize, Code::kInvalidArgument},
                 Case{&version, DropReason::kVersion, Code::kInvalidArgument},
                 Case{&tag, DropReason::kTag, Code::kUnauthenticated},
                 Case{&wrong_key, DropReason::kTag, Code::kUnauthenticated},
                 Case{&garbage, DropReason::kMsgpack, Code::kInvalidArgument},
                 Case{&schema, DropReason::kSchema, Code::kInvalidArgument},
                 Case{&inconsistent, DropReason::kSchema, Code::kInvalidArgument}}) {
    FrameStats before = b.stats();
    auto r = b.OnFrame(*c.frame, kSecond);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_EQ(b.last_drop_reason(), c.reason);
    EXPECT_NE(r.status().message().find(DropReasonName(c.reason)), std::string::npos)
        << r.status().message();
    EXPECT_EQ(b.stats().dropped[static_cast<size_t>(c.reason)],
              before.dropped[static_cast<size_t>(c.reason)] + 1);
    EXPECT_EQ(b.Digest().size(), 1u) << "nothing learned from a dropped frame";
  }
  EXPECT_EQ(b.stats().frames_in, 9u);
  // The good frame still works afterwards.
  ASSERT_TRUE(b.OnFrame(ack, kSecond).ok());
  EXPECT_EQ(b.Digest().size(), 2u);
  EXPECT_EQ(a.Digest(), digest_before);
}

TEST(Gossiper, KeyringRotationAcceptsOldAndNewAndSendsWithTheFirst) {
  // A rotation: every node adds the new key second ([old, new]), then every node moves it first
  // ([new, old]), then the old key goes. Neighbouring steps interoperate.
  Gossiper old_only(Options("o", 1, {"old"}));
  Gossiper both(Options("b", 1, {"old", "new"}));
  Gossiper rotated(Options("r", 1, {"new", "old"}));
  Gossiper new_only(Options("n", 1, {"new"}));
  EXPECT_TRUE(Exchange(old_only, both, kSecond));
  EXPECT_TRUE(Exchange(both, old_only, kSecond));
  EXPECT_TRUE(Exchange(both, rotated, kSecond));
  EXPECT_TRUE(Exchange(rotated, both, kSecond));
  EXPECT_TRUE(Exchange(rotated, new_only, kSecond));
  EXPECT_TRUE(Exchange(new_only, rotated, kSecond));
  EXPECT_TRUE(FindMember(both.Members(kSecond), "o").has_value());
  EXPECT_TRUE(FindMember(new_only.Members(kSecond), "o").has_value()) << "o's state, relayed";
  // The rotated node signs with "new", which an old-only node does not know.
  auto r = old_only.OnFrame(rotated.BeginExchange(kSecond), kSecond);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(old_only.last_drop_reason(), DropReason::kTag);
  EXPECT_FALSE(Exchange(old_only, new_only, kSecond));
}

TEST(Gossiper, ANodeWithAnUnknownKeyNeverAppearsAndChangesNoTotal) {
  Gossiper a(Options("a", 1, {"k1", "k0"})), b(Options("b", 1, {"k1"}));
  Gossiper stranger(Options("s", 1, {"other"}));
  ASSERT_TRUE(stranger.SetUsage(Cell("t"), Counters(1000)).ok());
  ASSERT_TRUE(Exchange(a, b, kSecond));
  for (Gossiper* g : {&a, &b}) {
    EXPECT_FALSE(Exchange(stranger, *g, kSecond));
    EXPECT_FALSE(Exchange(*g, stranger, kSecond));
    EXPECT_FALSE(FindMember(g->Members(kSecond), "s").has_value());
    EXPECT_FALSE(FindMember(stranger.Members(kSecond), g->id()).has_value());
    EXPECT_EQ(g->usage_view().Total().size(), 0u);
    EXPECT_EQ(g->stats().dropped[static_cast<size_t>(DropReason::kTag)], 1u) << "its SYN";
  }
}

TEST(Gossiper, ABigBacklogDrainsOverSeveralExchangesWithinTheBudget) {
  GossipOptions oa = Options("a"), ob = Options("b");
  oa.round_byte_budget = ob.round_byte_budget = 20 * 1024;
  oa.max_frame_bytes = ob.max_frame_bytes = 64 * 1024;
  Gossiper a(oa), b(ob);
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(a.SetUsage(Cell(Id("team", i)), Counters(i + 1)).ok());
  int exchanges = 0;
  while (b.usage_view().Total().size() < 2000) {
    ASSERT_LT(++exchanges, 50);
    std::vector<uint8_t> syn = b.BeginExchange(kSecond);
    auto ack = a.OnFrame(syn, kSecond);
    ASSERT_TRUE(ack.ok());
    EXPECT_LE(ack->at(0).size(), 20u * 1024 + 1024) << "the budget bounds every message";
    ASSERT_TRUE(b.OnFrame(ack->at(0), kSecond).ok());
  }
  EXPECT_GE(exchanges, 4);
  UsageView want;
  for (int i = 0; i < 2000; ++i) want.MergeUsage("a", Cell(Id("team", i)), Counters(i + 1));
  EXPECT_EQ(*b.usage_view().Find("a"), *want.Find("a"));
}

TEST(Gossiper, RefusesOriginsOverTheLimit) {
  GossipOptions o = Options("hub");
  o.max_origins = 3;
  Gossiper hub(o);
  std::vector<std::unique_ptr<Gossiper>> peers;
  for (int i = 0; i < 5; ++i) {
    peers.push_back(std::make_unique<Gossiper>(Options(Id("p", i))));
    ASSERT_TRUE(Exchange(*peers.back(), hub, kSecond));
  }
  EXPECT_EQ(hub.Members(kSecond).size(), 3u);
  EXPECT_GT(hub.stats().origins_refused, 0u);
}

TEST(Gossiper, OptionsAreValidated) {
  EXPECT_TRUE(ValidateGossipOptions(Options("a")).ok());
  auto bad = [](auto change) {
    GossipOptions o = Options("a");
    change(o);
    return !ValidateGossipOptions(o).ok();
  };
  EXPECT_TRUE(bad([](GossipOptions& o) { o.id.clear(); }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.keys.clear(); }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.keys = {"a", ""}; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.generation = 0; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.phi_dead = o.phi_suspect; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.fanout = 0; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.fanout = 4; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.interval_ms = 0; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.round_byte_budget = 1000; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.max_frame_bytes = o.round_byte_budget; }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.region = std::string(300, 'r'); }));
  EXPECT_TRUE(bad([](GossipOptions& o) { o.max_origins = 0; }));
}

}  // namespace
}  // namespace edge::federation

namespace edge::federation {
namespace {

// Frames delivered late, twice and out of order, some lost, while the origins keep writing and
// one restarts: at no time does any node count more than the truth, and a few clean rounds
// afterwards everyone holds exactly the truth.
TEST(Gossiper, ReorderedDuplicatedAndLateFramesNeverOvercount) {
  std::mt19937_64 rng(99);
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Gossiper>> g;
  for (int i = 0; i < kNodes; ++i) g.push_back(std::make_unique<Gossiper>(Options(Id("n", i))));
  UsageView truth;
  std::map<std::pair<int, int>, uint64_t> local;
  struct InFlight {
    int to;
    std::vector<uint8_t> frame;
  };
  std::vector<InFlight> network;
  auto deliver = [&](InFlight f, int64_t now) {
    auto r = g[f.to]->OnFrame(f.frame, now);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // Replies go back to whoever sent a frame of that kind: any other node will do, the
    // protocol holds no per-connection state.
    for (auto& reply : *r)
      network.push_back({(f.to + 1 + int(rng() % (kNodes - 1))) % kNodes, reply});
  };
  auto overcounts = [&]() {
    auto want = truth.Total();
    for (const auto& node : g) {
      for (const auto& [cell, c] : node->usage_view().Total()) {
        const UsageCounters& t = want[cell];
        if (c.requests > t.requests || c.cost_micro_usd > t.cost_micro_usd) return true;
      }
    }
    return false;
  };
  int64_t now = 0;
  for (int step = 0; step < 400; ++step) {
    now += kSecond / 4;
    int i = static_cast<int>(rng() % kNodes);
    switch (rng() % 6) {
      case 0: {  // an origin serves more
        int cell = static_cast<int>(rng() % 3);
        uint64_t& n = local[{i, cell}];
        n += 1 + rng() % 5;
        ASSERT_TRUE(g[i]->SetUsage(Cell(Id("t", cell)), Counters(n)).ok());
        truth.MergeUsage(Id("n", i), Cell(Id("t", cell)), Counters(n));
        break;
      }
      case 1:  // a node starts an exchange with a random other
        network.push_back({(i + 1 + int(rng() % (kNodes - 1))) % kNodes, g[i]->BeginExchange(now)});
        break;
      default:  // the network delivers a random frame (maybe twice), or loses it
        if (network.empty()) break;
        size_t k = rng() % network.size();
        InFlight f = network[k];
        if (rng() % 4 != 0) network.erase(network.begin() + static_cast<ptrdiff_t>(k));
        if (rng() % 10 != 0) deliver(f, now);
    }
    if (step == 200) {  // node 3 restarts, reloading its counters
      g[3] = std::make_unique<Gossiper>(Options("n3", 2'000'000));
      for (int cell = 0; cell < 3; ++cell) {
        if (local.contains({3, cell})) {
          ASSERT_TRUE(g[3]->SetUsage(Cell(Id("t", cell)), Counters(local[{3, cell}])).ok());
        }
      }
    }
    ASSERT_FALSE(overcounts()) << "step " << step;
  }
  uint64_t applied = 0;
  for (const auto& node : g) applied += node->stats().entries_applied;
  EXPECT_GT(applied, 100u) << "the disorderly network did carry state";
  network.clear();
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < kNodes; ++i) {
      for (int j = 0; j < kNodes; ++j) {
        if (i == j) continue;
        ASSERT_TRUE(Exchange(*g[i], *g[j], now));
      }
    }
  }
  EXPECT_EQ(truth.Total().size(), 3u);
  for (const auto& node : g) EXPECT_EQ(node->usage_view().Total(), truth.Total());
}

}  // namespace
}  // namespace edge::federation
