#include "ledger/record.h"

#include <gtest/gtest.h>

#include <random>

#include "ledger/record_header.h"
#include "ledger/rollup_key.h"

namespace edge::ledger {
namespace {

Record Sample() {
  Record r;
  r.request_id = "3f9a0c2d41e8b7a6000000a1";
  r.wall_micros = 1'796'000'000'123'456;
  r.key_id = "search-prod";
  r.team = "search";
  r.feature = "summarize";
  r.env = "prod";
  r.tags = "customer=acme,tier=gold";
  r.model = "generate";
  r.deployment = "generate/0";
  r.provider = "anthropic";
  r.endpoint_jurisdiction = "EU";
  r.region = "eu-west";
  r.input_tokens = 1234;
  r.output_tokens = 567;
  r.cached_input_tokens = 1000;
  r.reasoning_tokens = 12;
  r.cost_micros = 8755;
  r.estimated = true;
  r.priced = true;
  r.latency_us = 812'345;
  r.status = 200;
  r.attempts = 2;
  return r;
}

TEST(Record, RoundTrips) {
  Record r = Sample();
  std::string bytes = EncodeRecord(r);
  EXPECT_EQ(RecordWallMicros(bytes), r.wall_micros);
  EXPECT_EQ(DecodeRecord(bytes), r);
  Record negative = r;
  negative.cost_micros = -5;
  negative.status = 0;
  EXPECT_EQ(DecodeRecord(EncodeRecord(negative)), negative);
}

// The stored bytes are the format (records written by older nodes are read back): pinned.
TEST(Record, EncodesToTheStoredFormat) {
  std::string hex;
  for (unsigned char c : EncodeRecord(Sample())) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  EXPECT_EQ(hex,
            "01402206d673610600183366396130633264343165386237613630303030303061310b7365617263"
            "682d70726f64067365617263680973756d6d6172697a650470726f6417637573746f6d65723d6163"
            "6d652c746965723d676f6c640867656e65726174650a67656e65726174652f3009616e7468726f70"
            "69630245550765752d77657374a413ee08d00f18e688010202f29463900304");
}

TEST(Record, ExtremeNumbersAndOverlongStringsRoundTripCapped) {
  Record r = Sample();
  r.input_tokens = INT64_MAX;
  r.output_tokens = INT64_MIN;
  r.cost_micros = -1;
  r.latency_us = INT64_MIN + 1;
  r.status = INT32_MIN;
  r.attempts = INT32_MAX;
  r.tags = std::string(kMaxRecordString + 100, 't');
  r.request_id = std::string(kMaxRecordString, 'i');
  std::optional<Record> back = DecodeRecord(EncodeRecord(r));
  ASSERT_TRUE(back);
  Record want = r;
  want.tags.resize(kMaxRecordString);
  EXPECT_EQ(*back, want);
}

TEST(Record, EveryTruncationAndTrailingByteIsRefused) {
  std::string bytes = EncodeRecord(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeRecord(bytes.substr(0, n))) << n;
  }
  EXPECT_FALSE(DecodeRecord(bytes + '\0'));
}

TEST(Record, HostileLengthsAndValuesAreRefused) {
  std::string header;
  PutRecordHeader(&header, 1);
  // A string length of 2^63 and a ten-byte varint beyond 64 bits.
  EXPECT_FALSE(DecodeRecord(header + std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9)));
  EXPECT_FALSE(DecodeRecord(header + std::string(10, '\xff') + '\x01'));
  // A bool that is 2.
  Record r = Sample();
  std::string bytes = EncodeRecord(r);
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_FALSE(DecodeRecord(wrong_version));
}

TEST(Record, RandomBytesNeverCrashAndRarelyDecode) {
  std::mt19937 rng(7);
  std::string good = EncodeRecord(Sample());
  for (int i = 0; i < 20000; ++i) {
    std::string b = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<char>(rng());
    auto d = DecodeRecord(b);
    if (d) {
      EXPECT_EQ(DecodeRecord(EncodeRecord(*d)), d);  // whatever decodes re-encodes
    }
  }
}

TEST(RollupKey, PeriodsAreUtcCalendarUnits) {
  // 2026-12-31T23:59:59.999999Z and the next microsecond.
  const int64_t last = 1798761599'999999;
  EXPECT_EQ(PeriodOf(Granularity::kHour, last), "2026123123");
  EXPECT_EQ(PeriodOf(Granularity::kDay, last), "20261231");
  EXPECT_EQ(PeriodOf(Granularity::kMonth, last), "202612");
  EXPECT_EQ(PeriodOf(Granularity::kMonth, last + 1), "202701");
  EXPECT_EQ(PeriodEndMicros(Granularity::kMonth, last), last + 1);
  EXPECT_EQ(PeriodStartMicros(Granularity::kMonth, last), 1796083200'000000);  // 2026-12-01
  EXPECT_EQ(PeriodOf(Granularity::kDay, 951782400'000000), "20000229");    // leap day
  EXPECT_EQ(PeriodEndMicros(Granularity::kMonth, 951782400'000000), 951868800'000000);
}

TEST(RollupKey, CellKeysRoundTripAndSortByPeriod) {
  Dims d{"search", "summarize", "prod", "generate", "generate/0", "search-prod"};
  auto c = ParseCellKey(CellKey(Granularity::kDay, "20261205", d));
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->is_tag);
  EXPECT_EQ(c->dims, d);
  EXPECT_EQ(c->period, "20261205");
  auto t = ParseCellKey(TagCellKey(Granularity::kMonth, "202612", "customer", "acme", d));
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->is_tag);
  EXPECT_EQ(t->tag_value, "acme");
  EXPECT_LT(CellKey(Granularity::kDay, "20261205", d), CellKey(Granularity::kDay, "20261206", Dims{}));
  std::string k = CellKey(Granularity::kDay, "20261205", d);
  EXPECT_EQ(k.rfind(CellPrefix(Granularity::kDay, "20261205"), 0), 0u);
}

TEST(RollupKey, MalformedKeysAreRefused) {
  Dims d{"a", "b", "c", "d", "e", "f"};
  std::string good = CellKey(Granularity::kDay, "20261205", d);
  EXPECT_FALSE(ParseCellKey(""));
  EXPECT_FALSE(ParseCellKey(good + std::string(1, '\0') + "extra"));
  EXPECT_FALSE(ParseCellKey(good.substr(0, good.size() - 3)));
  EXPECT_FALSE(ParseCellKey(CellKey(Granularity::kDay, "2026120", d)));
  EXPECT_FALSE(ParseCellKey(CellKey(Granularity::kDay, "2026x205", d)));
  std::string wrong_kind = good;
  wrong_kind[0] = 'x';
  EXPECT_FALSE(ParseCellKey(wrong_kind));
}

}  // namespace
}  // namespace edge::ledger
