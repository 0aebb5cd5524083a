#include "ledger/audit_chain.h"

#include <gtest/gtest.h>

#include "ledger/audit_test_util.h"
#include "ledger/audit_verify.h"

namespace edge::ledger {
namespace {

using testing::AuditCf;
using testing::LogOrder;
using testing::Put;
using testing::SampleRecord;

constexpr int64_t kT0 = 1796532440000000;

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    key_ = std::move(*key);
    auto pub = VerifyingKey::FromPem(key_->PublicPem());
    ASSERT_TRUE(pub.ok());
    pub_ = std::move(*pub);
  }
  AuditChainOptions Options(uint64_t every = 10) {
    AuditChainOptions o;
    o.node = "eu-west-a";
    o.digest_every = every;
    o.digest_every_us = 60000000;
    o.salt = "salt";
    return o;
  }
  // Appends n records, committing each.
  void Write(AuditChain& chain, int from, int n, int64_t now = kT0) {
    for (int i = from; i < from + n; ++i) {
      std::vector<AuditEntry> out;
      ASSERT_TRUE(chain.Append(SampleRecord(i), now, &out).ok());
      Put(&cf_, out);
      chain.Committed();
    }
  }
  AuditVerifyReport Verify() {
    AuditVerifier v(pub_.get(), true);
    int n = 0;
    for (const std::string& line : LogOrder(cf_)) v.AddLine(line, "line " + std::to_string(++n));
    return v.Finish();
  }

  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<VerifyingKey> pub_;
  AuditCf cf_;
};

TEST_F(AuditChainTest, NumbersLinksAndDigestsEveryNRecords) {
  AuditChain chain(Options(10), key_.get());
  Write(chain, 1, 25);
  AuditChainHead head = chain.head();
  EXPECT_EQ(head.node, "eu-west-a");
  EXPECT_EQ(head.seq, 25u);
  EXPECT_EQ(head.digest_seq, 2u);
  EXPECT_EQ(head.signed_seq, 20u);
  EXPECT_EQ(cf_.size(), 27u);

  Result<RecordLine> r1 = DecodeStoredRecord(cf_[AuditRecordKey(1)]);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->prev, kZeroHash);
  EXPECT_EQ(r1->record.node, "eu-west-a");
  Result<RecordLine> r2 = DecodeStoredRecord(cf_[AuditRecordKey(2)]);
  EXPECT_EQ(r2->prev, r1->hash);
  Result<RecordLine> r25 = DecodeStoredRecord(cf_[AuditRecordKey(25)]);
  EXPECT_EQ(r25->hash, head.hash);

  Result<DigestLine> d1 = DecodeDigestLine(cf_[AuditDigestKey(1)]);
  Result<DigestLine> d2 = DecodeDigestLine(cf_[AuditDigestKey(2)]);
  ASSERT_TRUE(d1.ok() && d2.ok());
  EXPECT_EQ(d1->digest.first_seq, 1u);
  EXPECT_EQ(d1->digest.last_seq, 10u);
  EXPECT_EQ(d1->digest.prev_digest_hash, kZeroHash);
  EXPECT_EQ(d1->digest.chain_head, DecodeStoredRecord(cf_[AuditRecordKey(10)])->hash);
  EXPECT_EQ(d1->digest.key_id, key_->key_id());
  EXPECT_TRUE(pub_->Verify(d1->signed_bytes, d1->signature_der));
  EXPECT_EQ(d2->digest.first_seq, 11u);
  EXPECT_EQ(d2->digest.prev_digest_hash, d1->line_hash);

  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.records, 25u);
  EXPECT_EQ(report.digests, 2u);
  EXPECT_EQ(report.signed_through, 20u);
  EXPECT_EQ(report.Summary(),
            "OK: 25 records (1..25), 2 digests, signatures checked; records 21..25 are not "
            "covered by a digest yet\n");
}

TEST_F(AuditChainTest, DigestsByTimeAndOnForce) {
  AuditChain chain(Options(1000), key_.get());
  ASSERT_TRUE(chain.Restore("", "", kT0).ok());
  Write(chain, 1, 3, kT0 + 1000000);
  EXPECT_EQ(chain.head().digest_seq, 0u);
  std::vector<AuditEntry> out;
  ASSERT_TRUE(chain.DigestIfDue(kT0 + 59000000, false, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(chain.DigestIfDue(kT0 + 60000000, false, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  Put(&cf_, out);
  chain.Committed();
  EXPECT_EQ(chain.head().signed_seq, 3u);
  // Nothing new: no digest, forced or not.
  out.clear();
  ASSERT_TRUE(chain.DigestIfDue(kT0 + 100000000, true, &out).ok());
  EXPECT_TRUE(out.empty());
  Write(chain, 4, 1, kT0 + 100000000);  // 40 s after the last digest: none due yet
  EXPECT_EQ(chain.head().digest_seq, 1u);
  ASSERT_TRUE(chain.DigestIfDue(kT0 + 100000001, true, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  Put(&cf_, out);
  chain.Committed();
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.signed_through, 4u);
  EXPECT_EQ(report.Summary(), "OK: 4 records (1..4), 2 digests, signatures checked, every record signed\n");
}

TEST_F(AuditChainTest, RestoreContinuesTheChain) {
  {
    AuditChain chain(Options(4), key_.get());
    Write(chain, 1, 6);
  }
  AuditChain chain(Options(4), key_.get());
  ASSERT_TRUE(chain.Restore(cf_[AuditRecordKey(6)], cf_[AuditDigestKey(1)], kT0).ok());
  EXPECT_EQ(chain.next_seq(), 7u);
  Write(chain, 7, 5);
  EXPECT_EQ(chain.head().digest_seq, 2u);
  EXPECT_EQ(chain.head().signed_seq, 8u);
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.records, 11u);

  AuditChain broken(Options(4), key_.get());
  EXPECT_FALSE(broken.Restore("garbage", "", kT0).ok());
  EXPECT_FALSE(broken.Restore(cf_[AuditRecordKey(2)], cf_[AuditDigestKey(2)], kT0).ok());
}

TEST_F(AuditChainTest, AbandonedWritesLeaveNoGap) {
  AuditChain chain(Options(3), key_.get());
  Write(chain, 1, 2);
  std::vector<AuditEntry> lost;
  ASSERT_TRUE(chain.Append(SampleRecord(100), kT0, &lost).ok());
  ASSERT_TRUE(chain.Append(SampleRecord(101), kT0, &lost).ok());
  EXPECT_EQ(lost.size(), 3u);  // two records and the digest after record 3
  chain.Abandoned();           // the write failed: none of it is in the store
  EXPECT_EQ(chain.head().seq, 2u);
  Write(chain, 3, 2);
  AuditVerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.records, 4u);
  EXPECT_EQ(report.signed_through, 3u);
}

TEST_F(AuditChainTest, AppliesTheCallerIpModeWithTheStoreSalt) {
  AuditChain chain(Options(), key_.get());
  AuditRecord r = SampleRecord(1);
  r.caller = "85.214.0.77";
  r.caller_ip = CallerIpMode::kHash;
  std::vector<AuditEntry> out;
  ASSERT_TRUE(chain.Append(r, kT0, &out).ok());
  Result<RecordLine> line = DecodeStoredRecord(out[0].value);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->record.caller, ApplyCallerIpMode("85.214.0.77", CallerIpMode::kHash, "salt"));
  EXPECT_EQ(out[0].value.find("85.214.0.77"), std::string::npos);
}

TEST(AuditKeys, OrderedAndParsed) {
  EXPECT_LT(AuditRecordKey(255), AuditRecordKey(256));
  EXPECT_LT(AuditRecordKey(1), AuditRecordKey(uint64_t{1} << 40));
  char kind;
  uint64_t seq;
  ASSERT_TRUE(ParseAuditKey(AuditDigestKey(0x0102030405060708), &kind, &seq));
  EXPECT_EQ(kind, 'd');
  EXPECT_EQ(seq, 0x0102030405060708u);
  EXPECT_FALSE(ParseAuditKey("x12345678", &kind, &seq));
  EXPECT_FALSE(ParseAuditKey("r1", &kind, &seq));
}

}  // namespace
}  // namespace edge::ledger
