#include "ledger/journal_replay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "ledger/audit_key.h"
#include "ledger/audit_store.h"
#include "ledger/audit_test_util.h"
#include "ledger/journal_entry.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

constexpr int64_t kT0 = 1796532440000000;  // 2026-12-06

Record SampleLedgerRecord(int i) {
  Record r;
  r.request_id = "req" + std::to_string(i);
  r.wall_micros = kT0 + i * 1000;
  r.key_id = "search-prod";
  r.team = "search";
  r.model = "generate";
  r.deployment = "eu-primary";
  r.input_tokens = 10;
  r.output_tokens = 5;
  r.cost_micros = 7;
  r.status = 200;
  r.attempts = 1;
  return r;
}

class JournalReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    auto pub = VerifyingKey::FromPem((*key)->PublicPem());
    ASSERT_TRUE(pub.ok());
    pub_ = std::move(*pub);
    auto store = Store::Open(dir_.path() + "/ledger", {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    AuditLogOptions o;
    o.node = "eu-west-a";
    auto log = AuditLog::Open(*store_, std::move(*key), o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    audit_ = std::move(*log);
    recorder_.trust_unique_ids();
    WriterOptions wo;
    wo.round_hook = recorder_.coalescing_hook();
    writer_ = std::make_unique<Writer>(*store_, wo);
  }

  void TearDown() override { writer_->Stop(); }

  std::unique_ptr<JournalRing> Ring(const std::string& name) {
    auto ring = JournalRing::Open(dir_.path() + "/" + name, 1 << 16);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return ring.ok() ? std::move(*ring) : nullptr;
  }

  // What a worker journals for request i: its record and its audit record's fields.
  void Journal(JournalRing& ring, int i) {
    auto part = audit_->MakeCommitPart(testing::SampleRecord(i));
    JournalEntryOf(ring, EncodeRecord(SampleLedgerRecord(i)), *part->AuditTail());
  }

  // An entry of the given bytes, written as `version` (1: as nodes before format 2 wrote it).
  void JournalEntryOf(JournalRing& ring, std::string_view record, std::string_view tail,
                      char version = 2) {
    char* slot = ring.Reserve(JournalEntrySize(record, tail));
    ASSERT_NE(slot, nullptr);
    WriteJournalEntry(slot, record, tail);
    slot[0] = version;
    ring.Commit();
  }

  Result<ReplayCounts> Replay(const std::vector<JournalRing*>& rings) {
    return ReplayJournals(rings, *store_, *writer_, recorder_, audit_.get());
  }

  int64_t Count(Family f) {
    int64_t n = 0;
    EXPECT_TRUE(store_->Scan(f, "", "", [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }).ok());
    return n;
  }

  int64_t MonthRequests() {
    std::string prefix = CellPrefix(Granularity::kMonth, PeriodOf(Granularity::kMonth, kT0));
    int64_t n = 0;
    EXPECT_TRUE(store_->Scan(Family::kRollups, prefix, PrefixEnd(prefix),
                             [&](std::string_view, std::string_view v) {
                               n += DecodeRollup(v).value_or(RollupValue{}).requests;
                               return true;
                             })
                    .ok());
    return n;
  }

  TestDir dir_;
  std::unique_ptr<VerifyingKey> pub_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  Recorder recorder_;
  std::unique_ptr<Writer> writer_;
};

// A ring left by a node of an earlier version holds version-1 entries, whose audit tail is a
// format-1 line's: they are still written, as format-1 lines, in the same chain.
TEST_F(JournalReplayTest, EntriesOfAnEarlierVersionAreWrittenInTheirOwnFormat) {
  auto ring = Ring("worker-0.ring");
  Journal(*ring, 0);
  for (int i = 1; i < 3; ++i) {
    AuditRecord a = testing::SampleRecord(i);
    JournalEntryOf(*ring, EncodeRecord(SampleLedgerRecord(i)),
                   EncodeRecordTail(a, "eu-west-a", a.caller), /*version=*/1);
  }
  Journal(*ring, 3);
  auto counts = Replay({ring.get()});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->written, 4u);
  EXPECT_EQ(counts->unreadable, 0u);
  std::vector<int> formats;
  ASSERT_TRUE(store_->Scan(Family::kAudit, "", "", [&](std::string_view, std::string_view v) {
    Result<RecordLine> r = DecodeStoredRecord(v);
    EXPECT_TRUE(r.ok() && r->hash_matches);
    formats.push_back(r.ok() ? r->format : 0);
    return true;
  }).ok());
  EXPECT_EQ(formats, (std::vector<int>{2, 1, 1, 2}));
  Result<AuditVerifyReport> report = VerifyAuditStore(*store_, pub_.get());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->Summary();
  EXPECT_EQ(report->records, 4u);
}

TEST_F(JournalReplayTest, WritesWhatTheStoreMissesOnceAndSkipsWhatItHas) {
  // Requests 0 and 1 reached the store before the process died (replayed from a ring of their
  // own here); the dead worker's ring still holds 0..5.
  auto written_before = Ring("before.ring");
  Journal(*written_before, 0);
  Journal(*written_before, 1);
  auto first = Replay({written_before.get()});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->written, 2u);

  auto ring = Ring("worker-0.ring");
  for (int i = 0; i < 6; ++i) Journal(*ring, i);
  auto counts = Replay({ring.get()});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->written, 4u);
  EXPECT_EQ(counts->already, 2u);
  EXPECT_EQ(counts->unreadable, 0u);
  EXPECT_FALSE(ring->HasPending());

  EXPECT_EQ(Count(Family::kRecords), 6);
  EXPECT_EQ(MonthRequests(), 6);  // roll-ups are the sums of the records, none twice
  Result<AuditVerifyReport> report = VerifyAuditStore(*store_, pub_.get());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->Summary();
  EXPECT_EQ(report->records, 6u);

  // Replayed again (a crash during the replay, say): nothing more.
  for (int i = 0; i < 6; ++i) Journal(*ring, i);
  auto again = Replay({ring.get()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->written, 0u);
  EXPECT_EQ(again->already, 6u);
  EXPECT_EQ(Count(Family::kRecords), 6);
  EXPECT_EQ(MonthRequests(), 6);
}

TEST_F(JournalReplayTest, AnUnreadableEntryIsSkippedAndTheOthersAreWritten) {
  auto ring = Ring("worker-0.ring");
  Journal(*ring, 7);
  const char junk[] = "not an entry";
  char* slot = ring->Reserve(sizeof(junk));
  std::memcpy(slot, junk, sizeof(junk));
  ring->Commit();
  // A readable ledger record with an audit record that does not decode: not half written.
  JournalEntryOf(*ring, EncodeRecord(SampleLedgerRecord(9)), "\x01\x02 not fields");
  Journal(*ring, 8);
  auto counts = Replay({ring.get()});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->written, 2u);
  EXPECT_EQ(counts->unreadable, 2u);
  EXPECT_EQ(Count(Family::kRecords), 2);
  Result<AuditVerifyReport> report = VerifyAuditStore(*store_, pub_.get());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->Summary();
}

TEST_F(JournalReplayTest, ADamagedRingGivesWhatCameBeforeTheDamageAndIsCleared) {
  auto ring = Ring("worker-0.ring");
  Journal(*ring, 1);
  Journal(*ring, 2);
  // The second entry starts where the first ended; its frame's check word is spoiled.
  uint64_t first_end = 0;
  ASSERT_TRUE(ring->ForEachPending([&](std::string_view p) {
                    if (first_end == 0) first_end = 8 + ((p.size() + 7) & ~size_t{7});
                  }).ok());
  int fd = ::open((dir_.path() + "/worker-0.ring").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const char junk[4] = {9, 9, 9, 9};
  ASSERT_EQ(pwrite(fd, junk, 4, static_cast<off_t>(4096 + first_end + 4)), 4);
  ::close(fd);
  auto counts = Replay({ring.get()});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->written, 1u);
  ASSERT_EQ(counts->damaged.size(), 1u);
  EXPECT_FALSE(ring->HasPending());
  EXPECT_EQ(Count(Family::kRecords), 1);
}

TEST_F(JournalReplayTest, AFailedWriteLeavesTheRingToBeReplayedLater) {
  auto ring = Ring("worker-0.ring");
  Journal(*ring, 3);
  writer_->Stop();  // every job now fails with kUnavailable
  auto counts = Replay({ring.get()});
  EXPECT_FALSE(counts.ok());
  EXPECT_TRUE(ring->HasPending());
  EXPECT_EQ(Count(Family::kRecords), 0);
}

TEST_F(JournalReplayTest, OpenJournalsFindsTheRingFilesOfADirectory) {
  auto none = OpenJournals(dir_.path() + "/absent");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->rings.empty());
  const std::string jdir = JournalDir(dir_.path());
  std::filesystem::create_directories(jdir);
  for (unsigned i : {0u, 1u}) {
    auto r = JournalRing::Open(JournalPath(dir_.path(), i), 4096);
    ASSERT_TRUE(r.ok());
  }
  {
    std::ofstream junk(jdir + "/worker-2.ring");
    junk << std::string(9000, 'j');
  }
  auto found = OpenJournals(jdir);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->rings.size(), 2u);
  EXPECT_EQ(found->rings[1]->path(), JournalPath(dir_.path(), 1));
  ASSERT_EQ(found->set_aside.size(), 1u);  // renamed, so that the next start is not stopped
  EXPECT_TRUE(std::filesystem::exists(jdir + "/worker-2.ring.unreadable"));
  EXPECT_FALSE(std::filesystem::exists(jdir + "/worker-2.ring"));
}

}  // namespace
}  // namespace edge::ledger
