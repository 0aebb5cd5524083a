#include "node/cli/audit_witness.h"

#include <gtest/gtest.h>

#include "ledger/audit_codec.h"

namespace edge::cli {
namespace {

const std::string kHash1(64, 'a'), kHash2(64, 'b');

std::string DigestLine(uint64_t digest_seq, const std::string& node) {
  ledger::AuditDigest d;
  d.digest_seq = digest_seq;
  d.node = node;
  d.first_seq = 1;
  d.last_seq = 2;
  d.time_us = 1'796'040'000'000'000;
  d.key_id = std::string(64, 'c');
  return ledger::EncodeDigestLine(d, std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8));
}

std::string Witness(const std::string& node, const std::string& heads,
                    const std::string& digests) {
  return R"({"node":")" + node + R"(","heads":[)" + heads + R"(],"digests":[)" + digests + "]}";
}

std::string Head(uint64_t seq, const std::string& hash) {
  return R"({"seq":)" + std::to_string(seq) + R"(,"hash":")" + hash +
         R"(","generation":7,"received_at":"2026-12-06T08:00:00Z"})";
}

std::string Digest(const std::string& line) {
  std::string escaped;
  for (char c : line) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return R"({"line":")" + escaped + R"(","generation":7,"received_at":"2026-12-06T08:00:01Z"})";
}

TEST(ParseWitnessJson, ReadsHeadsAndDigests) {
  const std::string line = DigestLine(3, "eu-a");
  auto claims = ParseWitnessJson(Witness("eu-a", Head(4, kHash1) + "," + Head(9, kHash2),
                                         Digest(line)),
                                 "eu-a", "http://w");
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  ASSERT_EQ(claims->size(), 3u);
  EXPECT_EQ((*claims)[0].seq, 4u);
  EXPECT_EQ((*claims)[0].hash, kHash1);
  EXPECT_EQ((*claims)[0].received_at, "2026-12-06T08:00:00Z");
  EXPECT_TRUE((*claims)[2].digest);
  EXPECT_EQ((*claims)[2].seq, 3u);
  EXPECT_EQ((*claims)[2].line, line);
}

TEST(ParseWitnessJson, RefusesMalformedAnswers) {
  const std::string other = DigestLine(1, "us-b");
  for (const std::string& bad : {
           std::string(""),
           std::string("not json"),
           std::string("[]"),
           std::string(R"({"node":"eu-a"})"),                        // no lists
           Witness("us-b", "", ""),                                  // another node
           std::string(R"({"node":"eu-a","heads":{},"digests":[]})"),  // not an array
           Witness("eu-a", "1", ""),                                 // not an object
           Witness("eu-a", Head(0, kHash1), ""),                     // seq 0
           Witness("eu-a", R"({"seq":-3,"hash":")" + kHash1 + R"("})", ""),
           Witness("eu-a", R"({"seq":1.5,"hash":")" + kHash1 + R"("})", ""),
           Witness("eu-a", R"({"seq":99999999999999999999999,"hash":")" + kHash1 + R"("})", ""),
           Witness("eu-a", Head(1, "abc"), ""),                      // short hash
           Witness("eu-a", R"({"seq":1})", ""),                      // no hash
           Witness("eu-a", "", R"({"line":7})"),
           Witness("eu-a", "", R"({"line":"{\"type\":\"digest\"}"})"),  // does not decode
           Witness("eu-a", "", Digest(other)),                       // another node's digest
       }) {
    EXPECT_FALSE(ParseWitnessJson(bad, "eu-a", "http://w").ok()) << bad;
  }
}

std::vector<WitnessClaim> Claims(const std::string& heads, const std::string& digests) {
  auto c = ParseWitnessJson(Witness("eu-a", heads, digests), "eu-a", "http://w");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : std::vector<WitnessClaim>{};
}

TEST(WitnessCheck, HoldsWhenTheLogHasEveryWitnessedHeadAndDigest) {
  const std::string line = DigestLine(1, "eu-a");
  WitnessCheck check(Claims(Head(2, kHash1) + "," + Head(2, kHash1), Digest(line)));
  check.AddRecord(1, kHash2);
  check.AddRecord(2, kHash1);
  check.AddDigest(1, line);
  EXPECT_EQ(check.Finish(), "");
}

TEST(WitnessCheck, NamesTheFirstMissingOrDifferentHead) {
  WitnessCheck cut(Claims(Head(5, kHash1) + "," + Head(3, kHash2), ""));
  cut.AddRecord(3, kHash2);  // records 4 and 5 were cut from the end
  std::string failure = cut.Finish();
  EXPECT_NE(failure.find("record 5 is missing"), std::string::npos) << failure;
  EXPECT_NE(failure.find("http://w"), std::string::npos) << failure;

  WitnessCheck rewritten(Claims(Head(5, kHash1) + "," + Head(3, kHash2), ""));
  rewritten.AddRecord(3, kHash1);  // recomputed chain: another hash at 3
  rewritten.AddRecord(5, kHash2);
  failure = rewritten.Finish();
  EXPECT_NE(failure.find("record 3 has hash " + kHash1), std::string::npos) << failure;
}

TEST(WitnessCheck, ADigestMustBeThereByteForByte) {
  const std::string line = DigestLine(2, "eu-a");
  WitnessCheck missing(Claims("", Digest(line)));
  EXPECT_NE(missing.Finish().find("digest 2 is missing"), std::string::npos);
  WitnessCheck changed(Claims("", Digest(line)));
  changed.AddDigest(2, DigestLine(2, "eu-a") + " ");
  EXPECT_NE(changed.Finish().find("digest 2 differs"), std::string::npos);
}

TEST(WitnessCheck, AnExportIsCheckedFromItsFirstRecord) {
  WitnessCheck check(Claims(Head(2, kHash1) + "," + Head(7, kHash2), ""));
  check.set_first_seq(5);
  check.AddRecord(7, kHash2);
  EXPECT_EQ(check.Finish(), "");
}

}  // namespace
}  // namespace edge::cli
