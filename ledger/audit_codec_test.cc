#include "ledger/audit_codec.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <random>

#include "common/utc_time.h"
#include "ledger/audit_test_util.h"

namespace edge::ledger {
namespace {

using testing::SampleRecord;

// The canonical record line as RapidJSON's writer spells it: the specification the node's
// encoder (which appends literals and plain values itself, for speed) must match byte for
// byte. Invalid UTF-8 becomes '?' per byte, as in the encoder.
std::string ReferenceLine(const AuditRecord& r, uint64_t seq, const Sha256& prev) {
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  auto str = [&](std::string_view s) {
    std::string v(s);
    if (!simdjson::validate_utf8(v.data(), v.size())) {
      for (char& c : v) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
      }
    }
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("type"), w.String("record");
  w.Key("seq"), w.Uint64(seq);
  w.Key("prev"), str(ToHex(prev));
  w.Key("time"), str(FormatRfc3339Micros(r.time_us));
  w.Key("request_id"), str(r.request_id);
  w.Key("node"), str(r.node);
  w.Key("key_id"), str(r.key_id);
  w.Key("caller"), str(r.caller);
  w.Key("caller_ip"), str(CallerIpModeName(r.caller_ip));
  w.Key("country"), str(r.country);
  w.Key("jurisdiction"), str(r.jurisdiction);
  w.Key("jurisdiction_source"), str(r.jurisdiction_source);
  w.Key("residency"), str(r.residency);
  w.Key("model"), str(r.model);
  w.Key("candidates");
  w.StartArray();
  for (const AuditCandidate& c : r.candidates) {
    w.StartObject();
    w.Key("deployment"), str(c.deployment);
    w.Key("jurisdiction"), str(c.jurisdiction);
    w.Key("excluded"), str(c.excluded);
    w.EndObject();
  }
  w.EndArray();
  w.Key("attempts");
  w.StartArray();
  for (const AuditAttempt& a : r.attempts) {
    w.StartObject();
    w.Key("deployment"), str(a.deployment);
    w.Key("jurisdiction"), str(a.jurisdiction);
    w.Key("outcome"), str(a.outcome);
    w.Key("status"), w.Int(a.status);
    w.Key("latency_ms"), w.Int64(a.latency_ms);
    w.EndObject();
  }
  w.EndArray();
  w.Key("status"), w.Int(r.status);
  w.Key("outcome"), str(r.outcome);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

TEST(AuditCodec, TheEncoderSpellsEveryRecordAsRapidJsonDoes) {
  std::mt19937_64 rng(20261206);
  // Plain ids, and every byte class the escaping cares about: quote, backslash, controls,
  // DEL, valid multi-byte UTF-8, invalid bytes.
  const std::vector<std::string> atoms = {"eu-west-a", "gpt-4o/1a2b", "", "\"", "\\", "\x01",
                                          "\n", "\x1f", "\x7f", "é", "€", "\xff", "\xc3",
                                          "sha256:ab", " ", "/", "<", "\t"};
  auto text = [&] {
    std::string s;
    for (int n = static_cast<int>(rng() % 5); n > 0; --n) s += atoms[rng() % atoms.size()];
    return s;
  };
  auto num = [&]() -> int64_t {
    switch (rng() % 4) {
      case 0: return 0;
      case 1: return static_cast<int64_t>(rng() % 1000);
      case 2: return -static_cast<int64_t>(rng() % 100000);
      default: return static_cast<int64_t>(rng());
    }
  };
  for (int i = 0; i < 3000; ++i) {
    AuditRecord r;
    r.time_us = 1796532440000000 + static_cast<int64_t>(rng() % 100000000000);
    for (std::string* f : {&r.request_id, &r.node, &r.key_id, &r.caller, &r.country,
                           &r.jurisdiction, &r.jurisdiction_source, &r.residency, &r.model,
                           &r.outcome}) {
      *f = text();
    }
    r.caller_ip = static_cast<CallerIpMode>(rng() % 3);
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) {
      r.candidates.push_back({text(), text(), text()});
    }
    for (int n = static_cast<int>(rng() % 4); n > 0; --n) {
      r.attempts.push_back({text(), text(), text(), static_cast<int>(num() % 100000), num()});
    }
    r.status = static_cast<int>(num() % 1000);
    const uint64_t seq = rng() % 3 == 0 ? UINT64_MAX - rng() % 10 : rng() % 100000;
    const Sha256 prev = Sha256Of(std::to_string(i));
    Sha256 hash;
    const std::string line = EncodeRecordLine(r, seq, prev, &hash);
    const std::string reference = ReferenceLine(r, seq, prev);
    ASSERT_EQ(line.substr(0, line.size() - (9 + 64 + 2)) + "}", reference) << "record " << i;
    EXPECT_EQ(hash, ChainHash(prev, reference));
  }
}

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
