#include "federation/scuttlebutt.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace edge::federation {
namespace {

// prefix + number (append: gcc 12 gives a false -Wrestrict for "literal" + std::string)
std::string Id(const char* prefix, int i) {
  std::string s(prefix);
  s.append(std::to_string(i));
  return s;
}

UsageEntry Usage(int team, uint64_t n) {
  return UsageEntry{{"2026-12", Id("team", team), "f", "prod", "m"}, {n, n, n, n, n, n}};
}

std::vector<Entry> Decode(const EncodedDelta& d) {
  // Entries are whole msgpack values: wrap them in an ACK2 and decode that.
  std::vector<uint8_t> body = EncodeMessage(MessageType::kAck2, "x", {}, {d});
  Message m;
  EXPECT_TRUE(DecodeMessage(body, m).ok);
  return m.deltas.at(0).entries;
}

TEST(Reconcile, SendsWhatThePeerLacksAndRequestsWhatItHas) {
  std::map<std::string, OriginState> mine;
  auto add = [&](const std::string& id, int64_t gen, int entries) -> OriginState& {
    OriginState& s = mine.emplace(id, OriginState(id, gen)).first->second;
    for (int i = 0; i < entries; ++i) s.Put(Heartbeat{uint64_t(i)});
    return s;
  };
  add("self", 5, 3);
  add("ahead", 5, 4);      // peer has 2: send > 2
  add("behind", 5, 1);     // peer has 6: request from 1
  add("same", 5, 2);       // equal: nothing
  add("newer-gen", 9, 2);  // peer has gen 5: send all of gen 9
  add("older-gen", 3, 8);  // peer has gen 4: request from (3, 1)... our own (gen, max)
  add("unmentioned", 5, 2);
  std::vector<DigestEntry> peer = {{"self", 6, 1},    {"ahead", 5, 2},     {"behind", 5, 6},
                                   {"same", 5, 2},    {"newer-gen", 5, 7}, {"older-gen", 4, 1},
                                   {"unknown", 5, 3}, {"ahead", 5, 0},     {"empty", 0, 0}};
  Reconciliation r = Reconcile(mine, peer, /*send_unmentioned=*/true, "self");
  std::map<std::string, uint64_t> sent;
  for (const Lack& l : r.to_send) sent[l.state->id()] = l.after;
  EXPECT_EQ(sent,
            (std::map<std::string, uint64_t>{{"ahead", 2}, {"newer-gen", 0}, {"unmentioned", 0}}));
  EXPECT_EQ(r.to_request,
            (std::vector<DigestEntry>{{"behind", 5, 1}, {"older-gen", 3, 8}, {"unknown", 0, 0}}))
      << "self is never requested, even from a newer generation; a duplicate counts once";
  Reconciliation only_asked = Reconcile(mine, peer, /*send_unmentioned=*/false, "self");
  EXPECT_EQ(only_asked.to_send.size(), 2u);
}

TEST(SelectDeltas, KeepsAPrefixPerOriginWithinTheBudget) {
  std::map<std::string, OriginState> states;
  OriginState& a = states.emplace("a", OriginState("a", 1)).first->second;
  OriginState& b = states.emplace("b", OriginState("b", 1)).first->second;
  for (int i = 0; i < 200; ++i)
    a.Put(Usage(i % 50, i));  // 50 cells, rewritten: versions 151..200 live
  for (int i = 0; i < 10; ++i) b.Put(Usage(i, i));
  Selection all = SelectDeltas({{&a, 0}, {&b, 0}}, 1 << 20, 0);
  ASSERT_EQ(all.deltas.size(), 2u);
  EXPECT_EQ(all.deltas[0].origin, "a") << "the origin the peer lacks most goes first";
  EXPECT_EQ(all.entries, 60u);
  Selection cut = SelectDeltas({{&a, 0}, {&b, 0}}, all.bytes / 2, 0);
  EXPECT_LE(cut.bytes, all.bytes / 2);
  EXPECT_GT(cut.entries, 0u);
  for (const EncodedDelta& d : cut.deltas) {
    std::vector<Entry> got = Decode(d);
    const OriginState& s = states.at(std::string(d.origin));
    // A prefix: exactly the live entries with version <= the last one sent.
    std::vector<uint64_t> want;
    s.ForEachAfter(0, [&](const OriginState::Stored& st) {
      if (st.entry.version <= got.back().version) want.push_back(st.entry.version);
      return true;
    });
    std::vector<uint64_t> versions;
    for (const Entry& e : got) versions.push_back(e.version);
    EXPECT_EQ(versions, want) << d.origin;
  }
}

TEST(SelectDeltas, ABacklogDrainsOverSeveralRoundsWithNothingLost) {
  // The receiver applies what it gets and asks again from its new max version, as the
  // Scuttlebutt exchange does; with a budget of ~1/7 of the backlog it takes several rounds.
  OriginState source("src", 1);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 400; ++i) source.Put(Usage(static_cast<int>(rng() % 120), i));
  OriginState sink("src", 1);
  size_t budget = 0;
  source.ForEachAfter(0, [&](const OriginState::Stored& s) {
    budget += s.bytes.size();
    return true;
  });
  budget /= 7;
  int rounds = 0;
  while (sink.max_version() < source.max_version()) {
    ASSERT_LT(++rounds, 20);
    Selection sel = SelectDeltas({{&source, sink.max_version()}}, budget, rounds);
    ASSERT_EQ(sel.deltas.size(), 1u) << "progress every round";
    EXPECT_LE(sel.bytes, budget);
    for (const Entry& e : Decode(sel.deltas[0])) sink.Apply(e);
    // Between rounds the source writes more: the receiver's prefix stays consistent.
    if (rounds <= 3) source.Put(Usage(static_cast<int>(rng() % 120), 1000 + rounds));
  }
  EXPECT_GE(rounds, 7);
  // Same live entries on both sides.
  std::vector<std::string> want, got;
  source.ForEachAfter(0, [&](const OriginState::Stored& s) {
    want.push_back(s.bytes);
    return true;
  });
  sink.ForEachAfter(0, [&](const OriginState::Stored& s) {
    got.push_back(s.bytes);
    return true;
  });
  EXPECT_EQ(got, want);
}

TEST(SelectDeltas, AnOriginThatDoesNotFitLetsSmallerOnesThrough) {
  OriginState big("big", 1), small("small", 1);
  big.Put(SignedDigest{std::string(5000, 'd')});
  small.Put(Heartbeat{1});
  Selection sel = SelectDeltas({{&big, 0}, {&small, 0}}, 1000, 0);
  ASSERT_EQ(sel.deltas.size(), 1u);
  EXPECT_EQ(sel.deltas[0].origin, "small");
}

TEST(SelectDeltas, TiesRotateSoNoOriginStarves) {
  std::map<std::string, OriginState> states;
  std::vector<Lack> lacks;
  for (int i = 0; i < 20; ++i) {
    std::string id = Id("n", i);
    OriginState& s = states.emplace(id, OriginState(id, 1)).first->second;
    s.Put(Heartbeat{1});
    lacks.push_back({&s, 0});
  }
  std::set<std::string_view> firsts;
  for (uint64_t t = 0; t < 200; ++t) firsts.insert(SelectDeltas(lacks, 64, t).deltas.at(0).origin);
  EXPECT_GT(firsts.size(), 10u);
}

}  // namespace
}  // namespace edge::federation
