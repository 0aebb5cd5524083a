#include "federation/codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <msgpack.hpp>

namespace edge::federation {
namespace {

std::vector<uint8_t> Bytes(const msgpack::sbuffer& b) {
  return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(b.data()),
                              reinterpret_cast<const uint8_t*>(b.data()) + b.size());
}

Message FullAck() {
  Message m;
  m.type = MessageType::kAck;
  m.from = "node-a";
  m.digest = {{"node-b", 17, 4}, {"node-c", 0, 0}};
  OriginDelta d;
  d.origin = "node-a";
  d.generation = 1'700'000'000'000'000;
  d.entries = {
      {1, NodeMeta{"node-a", "eu-west", "EU", "10.0.0.1:7946", "https://a:8443", d.generation}},
      {2, Heartbeat{41}},
      {3, UsageEntry{{"2026-12", "search", "chat", "prod", "claude"}, {1, 2, 3, 4, 5, 6}}},
      {5, BudgetEntry{{"2026-12", "team:search"}, std::numeric_limits<uint64_t>::max()}},
      {7, ChainHead{1234, std::string(64, 'f')}},
      {9, SignedDigest{R"({"digest":1,"sig":"MEUCIQ"})"}},
  };
  m.deltas.push_back(d);
  m.deltas.push_back({"node-d", 3, {{10, Heartbeat{0}}}});
  return m;
}

TEST(Codec, RoundTripsEveryMessageAndEntryKind) {
  Message ack = FullAck();
  Message syn;
  syn.type = MessageType::kSyn;
  syn.from = "x";
  syn.digest = ack.digest;
  Message ack2;
  ack2.type = MessageType::kAck2;
  ack2.from = "y";
  ack2.deltas = ack.deltas;
  Message empty_ack;
  empty_ack.type = MessageType::kAck;
  for (const Message& m : {ack, syn, ack2, empty_ack}) {
    std::vector<uint8_t> body = EncodeMessage(m);
    Message back;
    DecodeStatus st = DecodeMessage(body, back);
    ASSERT_TRUE(st.ok) << st.detail;
    EXPECT_EQ(back, m);
  }
}

TEST(Codec, EntryBytesAreDeterministic) {
  Entry e{3, UsageEntry{{"2026-12-06", "t", "f", "e", "m"}, {1, 2, 3, 4, 5, 6}}};
  EXPECT_EQ(EncodeEntry(e), EncodeEntry(e));
  EXPECT_NE(EncodeEntry(e), EncodeEntry(Entry{4, e.payload}));
}

DecodeStatus Decode(const std::vector<uint8_t>& body) {
  Message m;
  DecodeStatus st = DecodeMessage(body, m);
  if (!st.ok) {
    EXPECT_EQ(m, Message{}) << "a refused message leaves nothing behind";
  }
  return st;
}

TEST(Codec, TruncatedOrTrailingBytesAreMalformedMsgpack) {
  std::vector<uint8_t> body = EncodeMessage(FullAck());
  for (size_t n : {size_t{0}, size_t{1}, body.size() / 2, body.size() - 1}) {
    DecodeStatus st = Decode(std::vector<uint8_t>(body.begin(), body.begin() + n));
    EXPECT_FALSE(st.ok) << n;
    EXPECT_EQ(st.reason, DropReason::kMsgpack) << n << " " << st.detail;
  }
  body.push_back(0xc0);  // nil after the message
  DecodeStatus st = Decode(body);
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason, DropReason::kMsgpack);
  EXPECT_EQ(Decode({0xc1}).reason, DropReason::kMsgpack);  // the one byte msgpack never uses
}

TEST(Codec, HostileSizesAreRefusedBeforeAllocating) {
  // An array, a map and a string each declaring 4 Gi elements or bytes in a 5-byte body: refused
  // by the unpack limits (or for want of bytes), never allocated.
  for (std::vector<uint8_t> body : {std::vector<uint8_t>{0xdd, 0xff, 0xff, 0xff, 0xff},
                                    std::vector<uint8_t>{0xdf, 0xff, 0xff, 0xff, 0xff},
                                    std::vector<uint8_t>{0xdb, 0xff, 0xff, 0xff, 0xff},
                                    std::vector<uint8_t>{0xc6, 0xff, 0xff, 0xff, 0xff}}) {
    DecodeStatus st = Decode(body);
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.reason, DropReason::kMsgpack);
  }
  // Nesting deeper than the schema.
  std::vector<uint8_t> deep(64, 0x91);
  deep.push_back(0x01);
  DecodeStatus st = Decode(deep);
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.reason, DropReason::kMsgpack);
}

// Packs [type, from, x...] with a callback for the rest.
template <typename F>
std::vector<uint8_t> Pack(uint32_t fields, F rest) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(fields);
  rest(pk);
  return Bytes(buf);
}

TEST(Codec, WrongShapesAreSchemaErrors) {
  using P = msgpack::packer<msgpack::sbuffer>;
  auto ack_with_entry = [](auto entry) {
    return Pack(4, [&](P& pk) {
      pk.pack(2);
      pk.pack(std::string("a"));
      pk.pack_array(1);
      pk.pack_array(3);
      pk.pack(std::string("a"));
      pk.pack(5);
      pk.pack_array(1);
      entry(pk);
      pk.pack_array(0);
    });
  };
  struct Case {
    const char* name;
    std::vector<uint8_t> body;
  };
  std::vector<Case> cases = {
      {"not an array", Pack(0, [](P&) {})},
      {"a map",
       [] {
         msgpack::sbuffer b;
         msgpack::packer<msgpack::sbuffer> pk(b);
         pk.pack_map(1);
         pk.pack(1);
         pk.pack(2);
         return Bytes(b);
       }()},
      {"unknown type", Pack(3,
                            [](P& pk) {
                              pk.pack(9);
                              pk.pack(std::string("a"));
                              pk.pack_array(0);
                            })},
      {"type as string", Pack(3,
                              [](P& pk) {
                                pk.pack(std::string("1"));
                                pk.pack(std::string("a"));
                                pk.pack_array(0);
                              })},
      {"negative type", Pack(3,
                             [](P& pk) {
                               pk.pack(-1);
                               pk.pack(std::string("a"));
                               pk.pack_array(0);
                             })},
      {"SYN with 4 fields", Pack(4,
                                 [](P& pk) {
                                   pk.pack(1);
                                   pk.pack(std::string("a"));
                                   pk.pack_array(0);
                                   pk.pack_array(0);
                                 })},
      {"ACK with 3 fields", Pack(3,
                                 [](P& pk) {
                                   pk.pack(2);
                                   pk.pack(std::string("a"));
                                   pk.pack_array(0);
                                 })},
      {"from as int", Pack(3,
                           [](P& pk) {
                             pk.pack(1);
                             pk.pack(7);
                             pk.pack_array(0);
                           })},
      {"from too long", Pack(3,
                             [](P& pk) {
                               pk.pack(1);
                               pk.pack(std::string(kMaxNameBytes + 1, 'x'));
                               pk.pack_array(0);
                             })},
      {"digest entry of 2", Pack(3,
                                 [](P& pk) {
                                   pk.pack(1);
                                   pk.pack(std::string("a"));
                                   pk.pack_array(1);
                                   pk.pack_array(2);
                                   pk.pack(std::string("b"));
                                   pk.pack(1);
                                 })},
      {"generation over int64", Pack(3,
                                     [](P& pk) {
                                       pk.pack(1);
                                       pk.pack(std::string("a"));
                                       pk.pack_array(1);
                                       pk.pack_array(3);
                                       pk.pack(std::string("b"));
                                       pk.pack(std::numeric_limits<uint64_t>::max());
                                       pk.pack(1);
                                     })},
      {"float version", Pack(3,
                             [](P& pk) {
                               pk.pack(1);
                               pk.pack(std::string("a"));
                               pk.pack_array(1);
                               pk.pack_array(3);
                               pk.pack(std::string("b"));
                               pk.pack(1);
                               pk.pack(1.5);
                             })},
      {"entry not an array", ack_with_entry([](P& pk) { pk.pack(1); })},
      {"entry version 0", ack_with_entry([](P& pk) {
         pk.pack_array(3);
         pk.pack(0);
         pk.pack(1);
         pk.pack(1);
       })},
      {"unknown entry kind", ack_with_entry([](P& pk) {
         pk.pack_array(3);
         pk.pack(1);
         pk.pack(77);
         pk.pack(1);
       })},
      {"heartbeat of 4 fields", ack_with_entry([](P& pk) {
         pk.pack_array(4);
         pk.pack(1);
         pk.pack(1);
         pk.pack(1);
         pk.pack(1);
       })},
      {"heartbeat as string", ack_with_entry([](P& pk) {
         pk.pack_array(3);
         pk.pack(1);
         pk.pack(1);
         pk.pack(std::string("1"));
       })},
      {"usage counter as bool", ack_with_entry([](P& pk) {
         pk.pack_array(13);
         pk.pack(1);
         pk.pack(3);
         for (int i = 0; i < 5; ++i) pk.pack(std::string("x"));
         for (int i = 0; i < 5; ++i) pk.pack(1);
         pk.pack(true);
       })},
      {"digest line too long", ack_with_entry([](P& pk) {
         pk.pack_array(3);
         pk.pack(1);
         pk.pack(6);
         pk.pack(std::string(kMaxDigestBytes + 1, 'd'));
       })},
      {"versions not increasing", Pack(4,
                                       [](P& pk) {
                                         pk.pack(2);
                                         pk.pack(std::string("a"));
                                         pk.pack_array(1);
                                         pk.pack_array(3);
                                         pk.pack(std::string("a"));
                                         pk.pack(5);
                                         pk.pack_array(2);
                                         pk.pack_array(3);
                                         pk.pack(2);
                                         pk.pack(1);
                                         pk.pack(1);
                                         pk.pack_array(3);
                                         pk.pack(2);
                                         pk.pack(1);
                                         pk.pack(2);
                                         pk.pack_array(0);
                                       })},
  };
  for (const Case& c : cases) {
    DecodeStatus st = Decode(c.body);
    EXPECT_FALSE(st.ok) << c.name;
    // A map or a string longer than its field's limit may be refused by the unpack limits.
    EXPECT_TRUE(st.reason == DropReason::kSchema || st.reason == DropReason::kMsgpack) << c.name;
    EXPECT_FALSE(st.detail.empty()) << c.name;
  }
  // And the well-formed variant of the last case decodes.
  std::vector<uint8_t> good = Pack(4, [](P& pk) {
    pk.pack(2);
    pk.pack(std::string("a"));
    pk.pack_array(1);
    pk.pack_array(3);
    pk.pack(std::string("a"));
    pk.pack(5);
    pk.pack_array(2);
    pk.pack_array(3);
    pk.pack(2);
    pk.pack(1);
    pk.pack(1);
    pk.pack_array(3);
    pk.pack(3);
    pk.pack(1);
    pk.pack(2);
    pk.pack_array(0);
  });
  EXPECT_TRUE(Decode(good).ok);
}

TEST(Codec, SchemaErrorsAreNotMsgpackErrors) {
  using P = msgpack::packer<msgpack::sbuffer>;
  DecodeStatus st = Decode(Pack(3, [](P& pk) {
    pk.pack(9);
    pk.pack(std::string("a"));
    pk.pack_array(0);
  }));
  EXPECT_EQ(st.reason, DropReason::kSchema);
  EXPECT_NE(st.detail.find("unknown"), std::string::npos) << st.detail;
}

}  // namespace
}  // namespace edge::federation
