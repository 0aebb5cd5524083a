// The stored form of an audit record (format 2) and its JSON line: one encoding per record,
// a line that renders it and verifies against the same hash, and damaged bytes refused.

#include "ledger/audit_binary.h"

#include <gtest/gtest.h>

#include <random>

#include "ledger/audit_codec.h"
#include "ledger/audit_test_util.h"
#include "ledger/audit_verify.h"

namespace edge::ledger {
namespace {

using testing::SampleRecord;

Sha256 HashOf(char c) {
  Sha256 h;
  h.fill(static_cast<uint8_t>(c));
  return h;
}

std::string Fields(const AuditRecord& r) { return EncodeRecordFields(r, r.node, r.caller); }

// The fields as the worker encodes them: from views of the same record.
std::string FieldsFromViews(const AuditRecord& r) {
  std::vector<AuditCandidateRef> candidates;
  for (const AuditCandidate& c : r.candidates) {
    candidates.push_back({c.deployment, c.jurisdiction, c.excluded});
  }
  std::vector<AuditAttemptRef> attempts;
  for (const AuditAttempt& a : r.attempts) {
    attempts.push_back({a.deployment, a.jurisdiction, a.outcome, a.status, a.latency_ms});
  }
  AuditRecordRef ref{r.time_us,   r.request_id,   r.node,
                     r.key_id,    r.caller,       r.caller_ip,
                     r.country,   r.jurisdiction, r.jurisdiction_source,
                     r.residency, r.model,        candidates,
                     attempts,    r.status,       r.outcome};
  return EncodeRecordFields(ref, r.node, r.caller);
}

TEST(AuditBinary, FieldsRoundTripAndAreAQuarterOfTheLine) {
  AuditRecord r = SampleRecord(7);
  r.node = "eu-west-a";
  const std::string fields = Fields(r);
  AuditRecord back;
  ASSERT_TRUE(DecodeRecordFields(fields, &back));
  EXPECT_EQ(back, r);
  Sha256 h;
  const std::string line = EncodeFormat2RecordLine(r, 7, HashOf(1), &h);
  EXPECT_LT(EncodeStoredRecord(fields, 7, HashOf(1), &h).size() * 2, line.size()) << line;
}

TEST(AuditBinary, StoredValueCarriesSeqPrevAndTheChainHash) {
  const AuditRecord r = SampleRecord(3);
  const std::string fields = Fields(r);
  Sha256 hash;
  const std::string value = EncodeStoredRecord(fields, 300, HashOf(9), &hash);
  EXPECT_EQ(value[0], kStoredRecordTag);
  std::optional<StoredRecord> split = SplitStoredRecord(value);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->seq, 300u);
  EXPECT_EQ(split->prev, HashOf(9));
  EXPECT_EQ(split->hash, hash);
  EXPECT_EQ(split->fields, fields);
  EXPECT_EQ(split->canonical, RecordCanonicalBytes(fields, 300));
  EXPECT_EQ(hash, ChainHash(HashOf(9), RecordCanonicalBytes(fields, 300)));
  EXPECT_EQ(StoredRecordTime(value), r.time_us);

  Result<RecordLine> decoded = DecodeStoredRecord(value);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->format, 2);
  EXPECT_EQ(decoded->record, r);
  EXPECT_TRUE(decoded->hash_matches);
}

// What an export says is what the store holds: the line decodes to the same record, the same
// canonical bytes and the same hash, and re-rendering it gives the same line.
TEST(AuditBinary, TheLineOfAStoredRecordVerifiesAgainstTheSameHash) {
  const AuditRecord r = SampleRecord(4);
  Sha256 hash;
  const std::string value = EncodeStoredRecord(Fields(r), 4, HashOf(2), &hash);
  const std::string line = RecordLineOfStored(value);
  EXPECT_TRUE(line.starts_with(R"({"type":"record","format":2,"seq":4,"prev":")")) << line;
  Sha256 again;
  EXPECT_EQ(EncodeFormat2RecordLine(r, 4, HashOf(2), &again), line);
  EXPECT_EQ(again, hash);
  Result<RecordLine> decoded = DecodeRecordLine(line);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->format, 2);
  EXPECT_EQ(decoded->record, r);
  EXPECT_EQ(decoded->hash, hash);
  EXPECT_TRUE(decoded->hash_matches);
  EXPECT_EQ(decoded->canonical, std::string(SplitStoredRecord(value)->canonical));
  EXPECT_EQ(StoredValueTime(value), r.time_us);

  // A member changed in the line: it still decodes, but no longer matches its hash.
  std::string edited = line;
  edited.replace(edited.find(R"("status":200,"outcome")"), 12, R"("status":201)");
  Result<RecordLine> e = DecodeRecordLine(edited);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->hash_matches);
  // "format" is part of the spelling: a format-2 line passed off as format 1 (or the other
  // way) is hashed as its claimed format, and does not match.
  std::string as_format1 = line;
  as_format1.erase(as_format1.find(R"("format":2,)"), 11);
  Result<RecordLine> f1 = DecodeRecordLine(as_format1);
  ASSERT_TRUE(f1.ok());
  EXPECT_EQ(f1->format, 1);
  EXPECT_FALSE(f1->hash_matches);
  std::string spaced = line;
  spaced.insert(spaced.find(R"("format":2)") + 9, " ");
  EXPECT_FALSE(DecodeRecordLine(spaced).ok());
  EXPECT_FALSE(DecodeRecordLine(R"({"type":"record","format":3,"seq":1})").ok());
}

// Text that is not UTF-8 is stored as its JSON line writes it ('?' for each byte >= 0x80), so
// that the line and the stored bytes say the same; control bytes and quotes survive escaping.
TEST(AuditBinary, InvalidUtf8IsStoredAsTheLineSpellsIt) {
  AuditRecord r = SampleRecord(1);
  r.model = std::string("gpt\xff\xfe-x");
  r.request_id = "id \"quoted\" \x01\n\\ ünïcode";
  AuditRecord back;
  ASSERT_TRUE(DecodeRecordFields(Fields(r), &back));
  EXPECT_EQ(back.model, "gpt?" "?-x");
  EXPECT_EQ(FieldsFromViews(r), Fields(r));
  EXPECT_EQ(back.request_id, r.request_id);
  Sha256 hash;
  const std::string value = EncodeStoredRecord(Fields(r), 1, kZeroHash, &hash);
  Result<RecordLine> line = DecodeRecordLine(RecordLineOfStored(value));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_TRUE(line->hash_matches);
  EXPECT_EQ(line->record, back);
}

// A record of views left empty (default string_views have no data at all) encodes as the
// empty record does; under UBSan this is the case a memcpy of nothing must not see.
TEST(AuditBinary, EmptyViewsEncodeAsEmptyStrings) {
  AuditRecordRef empty;
  AuditRecord back;
  ASSERT_TRUE(DecodeRecordFields(EncodeRecordFields(empty, {}, {}), &back));
  EXPECT_EQ(back, AuditRecord());
}

TEST(AuditBinary, DamagedOrNonCanonicalBytesAreRefused) {
  const std::string fields = Fields(SampleRecord(2));
  AuditRecord out;
  for (size_t n = 0; n < fields.size(); ++n) {
    EXPECT_FALSE(DecodeRecordFields(fields.substr(0, n), &out)) << "cut at " << n;
  }
  EXPECT_FALSE(DecodeRecordFields(fields + "x", &out));
  // The request id's length (after the 8-byte time) spelled with a needless second byte.
  std::string long_varint = fields;
  long_varint[8] = static_cast<char>(long_varint[8] | 0x80);
  long_varint.insert(9, 1, '\0');
  EXPECT_FALSE(DecodeRecordFields(long_varint, &out));
  // A caller_ip mode that does not exist.
  AuditRecord r = SampleRecord(2);
  std::string mode = Fields(r);
  const size_t mode_at = 8 + 1 + r.request_id.size() + 1 + r.node.size() + 1 +
                         r.key_id.size() + 1 + r.caller.size();
  ASSERT_EQ(mode[mode_at], 0);
  mode[mode_at] = 3;
  EXPECT_FALSE(DecodeRecordFields(mode, &out));
  // A time its line cannot spell (before year 1 or after 9999).
  AuditRecord ancient = SampleRecord(2);
  ancient.time_us = int64_t{-1} << 62;
  EXPECT_FALSE(DecodeRecordFields(Fields(ancient), &out));
  // A count far beyond the bytes left sizes nothing.
  std::string huge(8, '\0');
  for (int i = 0; i < 10; ++i) huge.push_back('\0');  // nine empty strings and mode 0
  huge += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);  // candidates
  EXPECT_FALSE(DecodeRecordFields(huge, &out));

  Sha256 hash;
  const std::string value = EncodeStoredRecord(fields, 5, kZeroHash, &hash);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(DecodeStoredRecord(value.substr(0, n)).ok()) << "cut at " << n;
  }
  EXPECT_FALSE(DecodeStoredRecord("").ok());
  EXPECT_FALSE(DecodeStoredRecord(std::string(200, '\x02')).ok());
  const std::string unreadable = RecordLineOfStored(value.substr(0, 40));
  EXPECT_TRUE(unreadable.starts_with(R"({"type":"record","format":2,"unreadable":")"));
  EXPECT_EQ(TypeOfLine(unreadable), LineType::kRecord);
  Result<RecordLine> r2 = DecodeRecordLine(unreadable);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("does not decode"), std::string::npos);
}

// Random records, odd text included: fields, stored value and line agree in every case.
TEST(AuditBinary, RandomRecordsRoundTripThroughTheStoreAndTheLine) {
  std::mt19937 rng(11);
  auto text = [&](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    return s;
  };
  Sha256 prev = kZeroHash;
  for (int i = 0; i < 500; ++i) {
    AuditRecord r;
    r.time_us = 1796532440000000 + static_cast<int64_t>(rng() % 4000000000) * 1000003;
    r.request_id = text(40);
    r.node = text(12);
    r.key_id = text(12);
    r.caller = text(20);
    r.caller_ip = static_cast<CallerIpMode>(rng() % 3);
    r.country = text(2);
    r.jurisdiction = text(4);
    r.jurisdiction_source = text(6);
    r.residency = text(4);
    r.model = text(300);
    for (size_t n = rng() % 5; n > 0; --n) r.candidates.push_back({text(10), text(3), text(30)});
    for (size_t n = rng() % 4; n > 0; --n) {
      const int64_t status = static_cast<int64_t>(rng()) - (int64_t{1} << 31);  // any int
      r.attempts.push_back({text(10), text(3), text(12), static_cast<int>(status),
                            static_cast<int64_t>(rng()) * (rng() % 2 ? 1 : -1) << 20});
    }
    r.status = static_cast<int>(rng() % 1000);
    r.outcome = text(20);
    const std::string fields = Fields(r);
    EXPECT_EQ(FieldsFromViews(r), fields) << i;
    AuditRecord stored;
    ASSERT_TRUE(DecodeRecordFields(fields, &stored)) << i;
    EXPECT_EQ(Fields(stored), fields);
    Sha256 hash;
    const std::string value = EncodeStoredRecord(fields, i + 1, prev, &hash);
    Result<RecordLine> line = DecodeRecordLine(RecordLineOfStored(value));
    ASSERT_TRUE(line.ok()) << i << ": " << line.status().ToString();
    EXPECT_EQ(line->record, stored);
    EXPECT_TRUE(line->hash_matches);
    EXPECT_EQ(line->prev, prev);
    prev = hash;
  }
}

// A store written by an earlier version holds format-1 lines; the chain goes on in format 2,
// and the whole log verifies (and an edit on either side is found).
TEST(AuditBinary, AChainOfBothFormatsVerifies) {
  std::vector<std::string> lines;
  Sha256 prev = kZeroHash;
  for (int i = 1; i <= 6; ++i) {
    AuditRecord r = SampleRecord(i);
    lines.push_back(i <= 3 ? EncodeRecordLine(r, i, prev, &prev)
                           : RecordLineOfStored(EncodeStoredRecord(Fields(r), i, prev, &prev)));
  }
  auto verify = [](const std::vector<std::string>& ls) {
    AuditVerifier v(nullptr, /*from_genesis=*/true);
    for (size_t i = 0; i < ls.size(); ++i) v.AddLine(ls[i], "line " + std::to_string(i + 1));
    return v.Finish();
  };
  AuditVerifyReport ok = verify(lines);
  EXPECT_TRUE(ok.ok()) << ok.Summary();
  EXPECT_EQ(ok.records, 6u);
  for (size_t at : {size_t{2}, size_t{4}}) {
    std::vector<std::string> edited = lines;
    edited[at].replace(edited[at].find(R"("residency":"EU")"), 16, R"("residency":"US")");
    EXPECT_EQ(verify(edited).record_error_seq, at + 1) << verify(edited).Summary();
  }
}

}  // namespace
}  // namespace edge::ledger
