// The audit log in a real RocksDB store, written through the real Writer; then tampered with
// in the store and in an export, as someone with root on the node would: every change is
// found, and the report names the record or the digest.

#include "ledger/audit_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>

#include "ledger/audit_binary.h"
#include "ledger/audit_log.h"
#include "ledger/audit_test_util.h"
#include "ledger/test_dir.h"
#include "ledger/writer.h"

namespace edge::ledger {
namespace {

using testing::SampleRecord;

constexpr int kRecords = 35;  // digests every 10: 1..10, 11..20, 21..30, then 31..35 forced

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    pem_ = (*key)->PrivatePem();
    auto pub = VerifyingKey::FromPem((*key)->PublicPem());
    ASSERT_TRUE(pub.ok());
    pub_ = std::move(*pub);
    auto store = Store::Open(dir_.path(), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    WriteLog(1, kRecords, /*force_digest=*/true);
  }

  // Appends records [from, from + n) through a Writer, as a node's run does.
  void WriteLog(int from, int n, bool force_digest) {
    auto key = SigningKey::FromPem(pem_);
    ASSERT_TRUE(key.ok());
    AuditLogOptions o;
    o.node = "eu-west-a";
    o.digest_every = 10;
    o.digest_every_us = int64_t{3600} * 1000000;
    auto log = AuditLog::Open(*store_, std::move(*key), o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    Writer writer(*store_, {});
    for (int i = from; i < from + n; ++i) writer.Submit((*log)->MakeAppendJob(SampleRecord(i)));
    if (force_digest) writer.Submit((*log)->MakeDigestJob(true));
    writer.Stop();
    head_ = (*log)->head();
  }

  AuditVerifyReport VerifyStore() {
    Result<AuditVerifyReport> r = VerifyAuditStore(*store_, pub_.get());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerifyReport{};
  }

  std::vector<std::string> Export(TimeWindow w = {}) {
    std::vector<std::string> lines;
    EXPECT_TRUE(ExportAuditLog(*store_, w, [&](std::string_view l) { lines.emplace_back(l); }).ok());
    return lines;
  }

  AuditVerifyReport VerifyLines(const std::vector<std::string>& lines, bool from_genesis = true) {
    AuditVerifier v(pub_.get(), from_genesis);
    for (size_t i = 0; i < lines.size(); ++i) v.AddLine(lines[i], "line " + std::to_string(i + 1));
    return v.Finish();
  }

  // Where a node writes the key: digests in their own family, records in "audit".
  static Family FamilyOf(const std::string& key) {
    return !key.empty() && key[0] == kAuditDigestPrefix ? Family::kAuditDigests : Family::kAudit;
  }
  std::string Get(const std::string& key) { return **store_->Get(FamilyOf(key), key); }
  void Put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(store_->Put(FamilyOf(key), key, value).ok());
  }
  void Delete(const std::string& key) {
    ASSERT_TRUE(
        store_->db()->Delete(rocksdb::WriteOptions(), store_->Handle(FamilyOf(key)), key).ok());
  }

  // Every key of `family`.
  std::vector<std::string> Keys(Family family) {
    std::vector<std::string> keys;
    EXPECT_TRUE(store_->Scan(family, "", "", [&](auto k, auto) {
      keys.emplace_back(k);
      return true;
    }).ok());
    return keys;
  }

  static std::string Edit(std::string line, std::string_view from, std::string_view to) {
    size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) line.replace(at, from.size(), to);
    return line;
  }

  // Re-encodes records [from, last] of `lines` (log order, records only) after an edit so that
  // each links to the one before and matches its hash: "recompute the chain".
  static std::vector<std::string> Rechain(const std::vector<std::string>& records, size_t from) {
    std::vector<std::string> out = records;
    Sha256 prev = DecodeRecordLine(out[from - 1])->hash;
    for (size_t i = from; i < out.size(); ++i) {
      Result<RecordLine> r = DecodeRecordLine(out[i]);
      EXPECT_TRUE(r.ok());
      EXPECT_EQ(r->format, 2);
      out[i] = EncodeFormat2RecordLine(r->record, r->seq, prev, &prev);
    }
    return out;
  }

  // The same for stored values (audit_binary.h), after `edit` changed record `from`'s.
  static std::vector<std::string> RechainStored(std::vector<std::string> values, size_t from,
                                                const std::function<void(AuditRecord&)>& edit) {
    Sha256 prev = DecodeStoredRecord(values[from - 1])->hash;
    for (size_t i = from; i < values.size(); ++i) {
      Result<RecordLine> r = DecodeStoredRecord(values[i]);
      EXPECT_TRUE(r.ok());
      if (i == from) edit(r->record);
      values[i] = EncodeStoredRecord(EncodeRecordFields(r->record, r->record.node, r->record.caller),
                                     r->seq, prev, &prev);
    }
    return values;
  }

  // A stored record changed as `edit` says, still stating its old hash: what an edit of the
  // store that does not recompute hashes leaves.
  static std::string EditStored(const std::string& value,
                                const std::function<void(AuditRecord&)>& edit) {
    Result<RecordLine> r = DecodeStoredRecord(value);
    EXPECT_TRUE(r.ok());
    edit(r->record);
    Sha256 recomputed;
    std::string out = EncodeStoredRecord(
        EncodeRecordFields(r->record, r->record.node, r->record.caller), r->seq, r->prev,
        &recomputed);
    out.replace(out.size() - r->hash.size(), r->hash.size(),
                reinterpret_cast<const char*>(r->hash.data()), r->hash.size());
    return out;
  }

  TestDir dir_;
  std::string pem_;
  std::unique_ptr<VerifyingKey> pub_;
  std::unique_ptr<Store> store_;
  AuditChainHead head_;
};

TEST_F(AuditStoreTest, AnUntouchedLogVerifies) {
  AuditVerifyReport r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.records, uint64_t{kRecords});
  EXPECT_EQ(r.digests, 4u);
  EXPECT_EQ(r.signed_through, uint64_t{kRecords});
  EXPECT_EQ(head_.seq, uint64_t{kRecords});
  EXPECT_EQ(head_.digest_seq, 4u);
  EXPECT_EQ(head_.node, "eu-west-a");

  // A second run continues the same chain.
  WriteLog(kRecords + 1, 12, false);
  r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.records, uint64_t{kRecords + 12});
  EXPECT_EQ(r.signed_through, 45u);  // 36..45 reached digest_every; 46, 47 wait
  EXPECT_NE(r.Summary().find("records 46..47 are not covered by a digest yet"), std::string::npos);
}

// Records alone in "audit", digests alone in "audit_digests": each family's keys only grow, so
// RocksDB moves its flushed files down the levels instead of rewriting them.
TEST_F(AuditStoreTest, RecordsAndDigestsKeepToTheirOwnFamilies) {
  for (const std::string& key : Keys(Family::kAudit)) EXPECT_EQ(key[0], kAuditRecordPrefix);
  EXPECT_EQ(Keys(Family::kAudit).size(), size_t{kRecords});
  for (const std::string& key : Keys(Family::kAuditDigests)) EXPECT_EQ(key[0], kAuditDigestPrefix);
  EXPECT_EQ(Keys(Family::kAuditDigests).size(), 4u);
  Result<std::optional<std::string>> d4 = GetAuditDigest(*store_, 4);
  ASSERT_TRUE(d4.ok() && d4->has_value());
  EXPECT_EQ(DecodeDigestLine(**d4)->digest.last_seq, uint64_t{kRecords});
}

// A store written before digests had their own family keeps them among the records: it still
// verifies, exports and serves its digests, and the chain goes on from its last digest.
TEST_F(AuditStoreTest, DigestsInTheAuditFamilyOfAnOlderStoreStillCount) {
  const std::vector<std::string> lines_before = Export();
  for (const std::string& key : Keys(Family::kAuditDigests)) {
    const std::string line = Get(key);
    Delete(key);
    ASSERT_TRUE(store_->Put(Family::kAudit, key, line).ok());
  }
  ASSERT_TRUE(Keys(Family::kAuditDigests).empty());
  AuditVerifyReport r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.digests, 4u);
  EXPECT_EQ(Export(), lines_before);
  Result<std::optional<std::string>> d2 = GetAuditDigest(*store_, 2);
  ASSERT_TRUE(d2.ok() && d2->has_value());
  Result<AuditTail> tail = ReadAuditTail(*store_);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(DecodeDigestLine(tail->last_digest)->digest.digest_seq, 4u);

  WriteLog(kRecords + 1, 10, false);  // digest 5, in the new family, chained to digest 4
  EXPECT_EQ(Keys(Family::kAuditDigests).size(), 1u);
  r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.digests, 5u);
  EXPECT_EQ(r.signed_through, uint64_t{kRecords + 10});
}

TEST_F(AuditStoreTest, StoreEditsAreFoundAndNamed) {
  const std::string r12 = Get(AuditRecordKey(12)), r13 = Get(AuditRecordKey(13));

  ASSERT_EQ(r12[0], kStoredRecordTag);  // a node stores format 2
  Put(AuditRecordKey(12), EditStored(r12, [](AuditRecord& a) { a.status = 201; }));
  AuditVerifyReport r = VerifyStore();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.record_error_seq, 12u);
  EXPECT_NE(r.record_error.find("record 12 (request_id req12, store key r/12) altered"),
            std::string::npos) << r.record_error;
  EXPECT_EQ(r.digest_error_seq, 2u) << r.digest_error;  // its digest no longer matches either

  // Any byte changed: the record no longer decodes or no longer matches its hash.
  for (size_t at : {size_t{0}, size_t{5}, r12.size() / 2, r12.size() - 40, r12.size() - 1}) {
    std::string flipped = r12;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    Put(AuditRecordKey(12), flipped);
    r = VerifyStore();
    EXPECT_EQ(r.record_error_seq, 12u) << "byte " << at << ": " << r.Summary();
    EXPECT_NE(r.record_error.find("altered"), std::string::npos) << r.record_error;
  }
  Put(AuditRecordKey(12), r12.substr(0, r12.size() - 1));  // cut short
  EXPECT_EQ(VerifyStore().record_error_seq, 12u);
  // An export of the damaged store carries the damage, and fails the same way.
  std::vector<std::string> damaged = Export();
  EXPECT_NE(damaged[12].find("\"unreadable\":\""), std::string::npos) << damaged[12];
  EXPECT_EQ(VerifyLines(damaged).record_error_seq, 12u);

  Put(AuditRecordKey(12), r12);
  EXPECT_TRUE(VerifyStore().ok());

  Delete(AuditRecordKey(12));  // removed
  r = VerifyStore();
  EXPECT_EQ(r.record_error_seq, 12u);
  EXPECT_NE(r.record_error.find("records 12 removed or moved"), std::string::npos) << r.record_error;

  Put(AuditRecordKey(12), r13);  // swapped
  Put(AuditRecordKey(13), r12);
  r = VerifyStore();
  EXPECT_EQ(r.record_error_seq, 12u);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.Summary().find("record 13 (request_id req13, store key r/12)"), std::string::npos)
      << r.Summary();

  Put(AuditRecordKey(12), r12);
  Put(AuditRecordKey(13), r12);  // inserted: a copy where 13 was
  r = VerifyStore();
  EXPECT_EQ(r.record_error_seq, 12u);
  EXPECT_NE(r.record_error.find("record 12 (request_id req12, store key r/13) out of order"),
            std::string::npos) << r.record_error;
  Put(AuditRecordKey(13), r13);
  EXPECT_TRUE(VerifyStore().ok());

  // A line that is no record at all, under a record key or a key of its own.
  Put(AuditRecordKey(14), "{\"type\":\"record\"}");
  EXPECT_EQ(VerifyStore().record_error_seq, 14u);
  Put(AuditRecordKey(14), Get(AuditRecordKey(14)));
}

TEST_F(AuditStoreTest, ARecomputedChainIsCaughtByTheSignedDigest) {
  std::vector<std::string> records;
  for (int i = 1; i <= kRecords; ++i) records.push_back(Get(AuditRecordKey(i)));
  std::vector<std::string> forged =
      RechainStored(records, 11, [](AuditRecord& a) { a.residency = ""; });
  for (int i = 12; i <= kRecords; ++i) Put(AuditRecordKey(i), forged[i - 1]);
  AuditVerifyReport r = VerifyStore();
  EXPECT_TRUE(r.record_error.empty()) << r.record_error;  // the chain itself is consistent
  EXPECT_EQ(r.digest_error_seq, 2u);
  EXPECT_NE(r.digest_error.find("digest 2 (records 11..20"), std::string::npos) << r.digest_error;
  EXPECT_NE(r.digest_error.find("do not hash to its chain head"), std::string::npos);

  // Re-signing the digests needs the key: with another one, they are refused.
  auto other = SigningKey::Generate();
  std::string d2 = Get(AuditDigestKey(2));
  Result<DigestLine> d = DecodeDigestLine(d2);
  ASSERT_TRUE(d.ok());
  AuditDigest forged_digest = d->digest;
  forged_digest.chain_head = DecodeStoredRecord(forged[19])->hash;
  Put(AuditDigestKey(2), EncodeDigestLine(forged_digest,
                                          *(*other)->Sign(EncodeDigestSignedBytes(forged_digest))));
  r = VerifyStore();
  EXPECT_EQ(r.digest_error_seq, 2u);
  EXPECT_NE(r.digest_error.find("bad signature"), std::string::npos) << r.digest_error;
}

TEST_F(AuditStoreTest, DigestEditsAreFound) {
  const std::string d2 = Get(AuditDigestKey(2));
  Put(AuditDigestKey(2), Edit(d2, "\"last_seq\":20", "\"last_seq\":19"));
  AuditVerifyReport r = VerifyStore();
  EXPECT_EQ(r.digest_error_seq, 2u);
  EXPECT_NE(r.digest_error.find("bad signature"), std::string::npos) << r.digest_error;

  Delete(AuditDigestKey(2));
  r = VerifyStore();
  EXPECT_EQ(r.digest_error_seq, 2u);
  EXPECT_NE(r.digest_error.find("digests 2 removed"), std::string::npos) << r.digest_error;

  // The last digest and its records cut from the end: the rest still verifies (only a
  // witness can tell; see the header), and the report says where signing stops.
  Put(AuditDigestKey(2), d2);
  Delete(AuditDigestKey(4));
  for (int i = 31; i <= kRecords; ++i) Delete(AuditRecordKey(i));
  r = VerifyStore();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.last_seq, 30u);
  // A digest whose records were removed from the end.
  Delete(AuditRecordKey(30));
  r = VerifyStore();
  EXPECT_EQ(r.digest_error_seq, 3u);
  EXPECT_NE(r.digest_error.find("records 30 removed"), std::string::npos) << r.digest_error;
}

TEST_F(AuditStoreTest, ExportVerifiesOfflineAndEditsToItAreFound) {
  std::vector<std::string> lines = Export();
  ASSERT_EQ(lines.size(), size_t{kRecords + 4});
  EXPECT_EQ(TypeOfLine(lines[10]), LineType::kDigest);  // right after record 10
  EXPECT_TRUE(VerifyLines(lines).ok()) << VerifyLines(lines).Summary();

  auto changed = lines;
  changed[3] = Edit(changed[3], "\"eu-secondary\",\"jurisdiction\":\"EU\",\"outcome\"",
                    "\"eu-secondary\",\"jurisdiction\":\"US\",\"outcome\"");
  EXPECT_EQ(VerifyLines(changed).record_error_seq, 4u);

  auto removed = lines;
  removed.erase(removed.begin() + 3);
  AuditVerifyReport r = VerifyLines(removed);
  EXPECT_EQ(r.record_error_seq, 4u);
  EXPECT_NE(r.record_error.find("records 4 removed"), std::string::npos) << r.record_error;

  auto inserted = lines;
  inserted.insert(inserted.begin() + 5, lines[2]);
  r = VerifyLines(inserted);
  EXPECT_EQ(r.record_error_seq, 3u);
  EXPECT_NE(r.record_error.find("record 3 (request_id req3, line 6) out of order"),
            std::string::npos) << r.record_error;

  auto swapped = lines;
  std::swap(swapped[3], swapped[4]);
  r = VerifyLines(swapped);
  EXPECT_EQ(r.record_error_seq, 4u);
  EXPECT_FALSE(r.ok());

  auto garbage = lines;
  garbage.insert(garbage.begin() + 7, "{\"type\":\"note\"}");
  EXPECT_FALSE(VerifyLines(garbage).ok());

  // Recompute the chain in the export: the digests still catch it.
  std::vector<std::string> records;
  for (const std::string& l : lines) {
    if (TypeOfLine(l) == LineType::kRecord) records.push_back(l);
  }
  records[4] = Edit(records[4], "\"status\":200,\"outcome\"", "\"status\":503,\"outcome\"");
  std::vector<std::string> forged = Rechain(records, 4);
  std::vector<std::string> rebuilt;
  size_t next = 0;
  for (const std::string& l : lines) {
    rebuilt.push_back(TypeOfLine(l) == LineType::kRecord ? forged[next++] : l);
  }
  r = VerifyLines(rebuilt);
  EXPECT_TRUE(r.record_error.empty()) << r.record_error;
  EXPECT_EQ(r.digest_error_seq, 1u) << r.digest_error;

  // Without the right public key, nothing verifies.
  auto other = SigningKey::Generate();
  auto other_pub = VerifyingKey::FromPem((*other)->PublicPem());
  AuditVerifier v(other_pub->get(), true);
  for (const std::string& l : lines) v.AddLine(l, "x");
  EXPECT_NE(v.Finish().digest_error.find("signed by another key"), std::string::npos);
}

TEST_F(AuditStoreTest, ExportOfAWindowIsContiguousSignedAndVerifiable) {
  // SampleRecord(i) ends at kT0 + i ms: [15 ms, 17 ms) holds records 15 and 16.
  const int64_t t0 = SampleRecord(0).time_us;
  TimeWindow w{t0 + 15000, t0 + 17000};
  std::vector<std::string> lines = Export(w);
  // Records 15..20 (to the end of digest 2, which covers 16) and digest 2.
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(DecodeRecordLine(lines[0])->seq, 15u);
  EXPECT_EQ(DecodeRecordLine(lines[5])->seq, 20u);
  EXPECT_EQ(TypeOfLine(lines[6]), LineType::kDigest);
  AuditVerifyReport r = VerifyLines(lines, /*from_genesis=*/false);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.signed_through, 20u);
  // Its first record altered: the digest's chain head catches what its own hash cannot.
  auto edited = lines;
  Result<RecordLine> first = DecodeRecordLine(lines[0]);
  first->record.residency = "";
  Sha256 h;
  edited[0] = EncodeFormat2RecordLine(first->record, 15, first->prev, &h);
  edited[1] = Rechain({edited[0], lines[1]}, 1)[1];
  for (size_t i = 2; i < 6; ++i) edited[i] = Rechain({edited[i - 1], lines[i]}, 1)[1];
  r = VerifyLines(edited, false);
  EXPECT_EQ(r.digest_error_seq, 2u) << r.Summary();

  EXPECT_TRUE(Export(TimeWindow{t0 + 1000000, t0 + 2000000}).empty());
}

TEST_F(AuditStoreTest, ResidencyTallyFromTheStore) {
  ResidencyTally tally;
  ASSERT_TRUE(TallyResidency(*store_, {}, &tally).ok());
  ASSERT_EQ(tally.by_jurisdiction().count("EU"), 1u);
  const ResidencyCounts& eu = tally.by_jurisdiction().at("EU");
  EXPECT_EQ(eu.pinned, uint64_t{kRecords});
  EXPECT_EQ(eu.served_in, uint64_t{kRecords});
  EXPECT_TRUE(tally.ok());
  EXPECT_EQ(tally.Report(), "EU pinned=35 served_in=35 refused=0 violations=0\n");
}

}  // namespace
}  // namespace edge::ledger
