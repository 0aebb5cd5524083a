#include "ledger/audit_codec.h"

#include <gtest/gtest.h>

#include "ledger/audit_test_util.h"

namespace edge::ledger {
namespace {

using testing::SampleRecord;

TEST(AuditCodec, RecordRoundTripsAndHashesItsCanonicalBytes) {
  AuditRecord r = SampleRecord(7);
  r.node = "eu-west-a";
  Sha256 prev = Sha256Of("previous");
  Sha256 hash;
  std::string line = EncodeRecordLine(r, 7, prev, &hash);
  EXPECT_TRUE(line.starts_with(R"({"type":"record","seq":7,"prev":")")) << line;
  EXPECT_TRUE(line.ends_with(",\"hash\":\"" + ToHex(hash) + "\"}")) << line;
  EXPECT_EQ(TypeOfLine(line), LineType::kRecord);

  Result<RecordLine> back = DecodeRecordLine(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->seq, 7u);
  EXPECT_EQ(back->prev, prev);
  EXPECT_EQ(back->hash, hash);
  EXPECT_TRUE(back->hash_matches);
  EXPECT_EQ(back->record, r);
  // The hash is SHA-256(prev || the line without its hash member).
  std::string canonical = line.substr(0, line.size() - (9 + 64 + 2)) + "}";
  EXPECT_EQ(back->canonical, canonical);
  EXPECT_EQ(ChainHash(prev, canonical), hash);
  // Deterministic: the same record encodes to the same bytes.
  Sha256 again;
  EXPECT_EQ(EncodeRecordLine(r, 7, prev, &again), line);
}

TEST(AuditCodec, RecordCarriesNoContentAndEscapesStrings) {
  AuditRecord r = SampleRecord(1);
  r.request_id = "quote\" back\\slash \x01 ctl";
  r.model = std::string("bad\xff\xfeutf8");
  Sha256 hash;
  std::string line = EncodeRecordLine(r, 1, kZeroHash, &hash);
  Result<RecordLine> back = DecodeRecordLine(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << " " << line;
  EXPECT_EQ(back->record.request_id, r.request_id);
  EXPECT_EQ(back->record.model, "bad??utf8");  // invalid UTF-8 never reaches a line
}

TEST(AuditCodec, AnEditedRecordNoLongerMatchesItsHash) {
  Sha256 hash;
  std::string line = EncodeRecordLine(SampleRecord(3), 3, kZeroHash, &hash);
  size_t at = line.find("\"EU\"");
  ASSERT_NE(at, std::string::npos);
  std::string edited = line;
  edited.replace(at, 4, "\"US\"");
  Result<RecordLine> back = DecodeRecordLine(edited);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->hash_matches);
}

TEST(AuditCodec, RefusesMalformedRecordLines) {
  Sha256 hash;
  const std::string good = EncodeRecordLine(SampleRecord(2), 2, kZeroHash, &hash);
  std::vector<std::string> bad = {
      "",
      "{}",
      "not json",
      good.substr(0, good.size() - 1),                       // cut
      good + " ",                                            // trailing byte
      " " + good,                                            // not canonical
      std::string(good).replace(good.find("\"seq\":2"), 7, "\"seq\":-2"),
      std::string(good).replace(good.find("\"seq\":2"), 7, "\"seq\":\"2\""),
      std::string(good).replace(good.find("\"status\":200"), 12, "\"status\":200.0"),
      std::string(good).replace(good.find("\"caller_ip\":\"full\""), 18, "\"caller_ip\":\"some\""),
      std::string(good).replace(good.find("\"time\":\""), 8, "\"time\":\"x"),
      std::string(good).replace(good.find("\"prev\":\"0"), 9, "\"prev\":\"Z"),
      std::string(good).replace(good.find("\"type\":\"record\""), 15, "\"type\":\"digest\""),
      // a duplicated member is not the canonical form
      std::string(good).insert(1, "\"type\":\"record\","),
      // an extra member
      std::string(good).insert(good.find(",\"hash\""), ",\"x\":1"),
      // members reordered
      std::string(good).replace(good.find("\"status\":200,\"outcome\":\"ok\""), 27,
                                "\"outcome\":\"ok\",\"status\":200"),
      // the hash member not last
      std::string(good).replace(good.size() - 2, 2, "\",\"z\":1}"),
      std::string(kMaxAuditLineBytes + 1, ' '),
  };
  for (const std::string& line : bad) {
    Result<RecordLine> r = DecodeRecordLine(line);
    EXPECT_FALSE(r.ok()) << line.substr(0, 300);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

TEST(AuditCodec, DigestRoundTrips) {
  AuditDigest d;
  d.digest_seq = 3;
  d.node = "eu-west-a";
  d.first_seq = 2001;
  d.last_seq = 3000;
  d.chain_head = Sha256Of("head");
  d.prev_digest_hash = Sha256Of("prev digest");
  d.time_us = 1796532440000000;
  d.key_id = ToHex(Sha256Of("key"));
  std::string sig = "\x30\x45\x02\x21signature-bytes";
  std::string line = EncodeDigestLine(d, sig);
  EXPECT_EQ(TypeOfLine(line), LineType::kDigest);
  Result<DigestLine> back = DecodeDigestLine(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->digest, d);
  EXPECT_EQ(back->signature_der, sig);
  EXPECT_EQ(back->signed_bytes, EncodeDigestSignedBytes(d));
  EXPECT_EQ(back->line_hash, Sha256Of(line));

  for (const std::string& bad :
       {line.substr(0, line.size() - 2), line + "\n",
        std::string(line).replace(line.find("\"signature\":\"") + 13, 2, "zz"),
        std::string(line).replace(line.find("\"last_seq\":3000"), 15, "\"last_seq\":-1"),
        std::string(line).insert(line.find(",\"signature\""), ",\"extra\":true"),
        std::string("{\"type\":\"digest\",\"signature\":\"00\"}")}) {
    EXPECT_FALSE(DecodeDigestLine(bad).ok()) << bad;
  }
}

TEST(AuditCodec, CallerIpModes) {
  EXPECT_EQ(ApplyCallerIpMode("85.214.0.77", CallerIpMode::kFull, ""), "85.214.0.77");
  EXPECT_EQ(ApplyCallerIpMode("85.214.0.77", CallerIpMode::kTruncate, ""), "85.214.0.0/24");
  EXPECT_EQ(ApplyCallerIpMode("::ffff:85.214.0.77", CallerIpMode::kTruncate, ""), "85.214.0.0/24");
  EXPECT_EQ(ApplyCallerIpMode("2a01:4f8:1234:5678::1", CallerIpMode::kTruncate, ""),
            "2a01:4f8:1234::/48");
  EXPECT_EQ(ApplyCallerIpMode("not an ip", CallerIpMode::kTruncate, ""), "");
  EXPECT_EQ(ApplyCallerIpMode("", CallerIpMode::kHash, "salt"), "");
  const std::string h = ApplyCallerIpMode("85.214.0.77", CallerIpMode::kHash, "salt");
  EXPECT_EQ(h, "sha256:" + ToHex(Sha256Of("salt85.214.0.77")));
  // One address, one hash, whatever its spelling; another salt, another hash.
  EXPECT_EQ(ApplyCallerIpMode("::FFFF:85.214.0.77", CallerIpMode::kHash, "salt"), h);
  EXPECT_NE(ApplyCallerIpMode("85.214.0.77", CallerIpMode::kHash, "pepper"), h);
  EXPECT_EQ(ApplyCallerIpMode("2A01:4F8::1", CallerIpMode::kHash, "s"),
            ApplyCallerIpMode("2a01:4f8:0::1", CallerIpMode::kHash, "s"));
}

}  // namespace
}  // namespace edge::ledger
