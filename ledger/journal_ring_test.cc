#include "ledger/journal_ring.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "ledger/journal_entry.h"
#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

constexpr uint64_t kSmall = 4096;

uint64_t Append(JournalRing& ring, const std::string& payload) {
  char* slot = ring.Reserve(payload.size());
  if (slot == nullptr) return 0;
  std::memcpy(slot, payload.data(), payload.size());
  return ring.Commit();
}

std::vector<std::string> Pending(const JournalRing& ring, Status* status = nullptr) {
  std::vector<std::string> out;
  Status s = ring.ForEachPending([&](std::string_view p) { out.emplace_back(p); });
  if (status != nullptr) *status = s;
  EXPECT_TRUE(status != nullptr || s.ok()) << s.ToString();
  return out;
}

TEST(JournalRingTest, EntriesAreReadBackInOrderUntilReleased) {
  TestDir dir;
  auto ring = JournalRing::Open(dir.path() + "/w.ring", kSmall);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_FALSE((*ring)->HasPending());
  uint64_t a = Append(**ring, "first");
  uint64_t b = Append(**ring, std::string(100, 'x'));
  uint64_t c = Append(**ring, "");
  ASSERT_TRUE(a != 0 && b > a && c > b);
  EXPECT_EQ(Pending(**ring), (std::vector<std::string>{"first", std::string(100, 'x'), ""}));
  (*ring)->Release(a);
  EXPECT_EQ(Pending(**ring), (std::vector<std::string>{std::string(100, 'x'), ""}));
  (*ring)->Release(c);
  EXPECT_FALSE((*ring)->HasPending());
  EXPECT_TRUE(Pending(**ring).empty());
}

TEST(JournalRingTest, WrapsAroundManyTimesWithoutSplittingAnEntryOrLosingOne) {
  TestDir dir;
  auto ring = JournalRing::Open(dir.path() + "/w.ring", kSmall);
  ASSERT_TRUE(ring.ok());
  std::vector<std::pair<std::string, uint64_t>> in_flight;
  for (int i = 0; i < 500; ++i) {
    std::string payload(static_cast<size_t>(50 + (i * 37) % 700), static_cast<char>('a' + i % 26));
    payload += std::to_string(i);
    uint64_t end = Append(**ring, payload);
    if (end == 0) {  // full: the oldest half is written, as the writer would
      ASSERT_FALSE(in_flight.empty()) << "an empty ring refused entry " << i;
      size_t half = (in_flight.size() + 1) / 2;
      (*ring)->Release(in_flight[half - 1].second);
      in_flight.erase(in_flight.begin(), in_flight.begin() + static_cast<long>(half));
      end = Append(**ring, payload);
      ASSERT_NE(end, 0u) << i;
    }
    in_flight.emplace_back(payload, end);
    std::vector<std::string> want;
    for (const auto& [p, e] : in_flight) want.push_back(p);
    ASSERT_EQ(Pending(**ring), want) << i;
  }
}

TEST(JournalRingTest, RefusesAnEntryThatWouldNotFitAndOneOverHalfTheRing) {
  TestDir dir;
  auto ring = JournalRing::Open(dir.path() + "/w.ring", kSmall);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ((*ring)->Reserve(kSmall / 2), nullptr);
  uint64_t end = 0;
  while (uint64_t e = Append(**ring, std::string(1000, 'z'))) end = e;
  EXPECT_EQ((*ring)->Reserve(1000), nullptr);
  (*ring)->Release(end);
  EXPECT_NE((*ring)->Reserve(1000), nullptr);
}

TEST(JournalRingTest, AReopenedFileStillHoldsWhatWasNotReleased) {
  TestDir dir;
  const std::string path = dir.path() + "/w.ring";
  {
    auto ring = JournalRing::Open(path, kSmall);
    ASSERT_TRUE(ring.ok());
    uint64_t a = Append(**ring, "written");
    Append(**ring, "answered, not yet written");
    (*ring)->Release(a);
  }  // as a killed process leaves it: unmapped, nothing cleaned up
  auto again = JournalRing::Open(path, 1 << 20);  // the file's own capacity wins
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->capacity(), kSmall);
  EXPECT_EQ(Pending(**again), std::vector<std::string>{"answered, not yet written"});
  (*again)->Clear();
  EXPECT_FALSE((*again)->HasPending());
  EXPECT_NE(Append(**again, "next"), 0u);
  EXPECT_EQ(Pending(**again), std::vector<std::string>{"next"});
}

TEST(JournalRingTest, ADamagedEntryStopsTheWalkAfterWhatCameBefore) {
  TestDir dir;
  const std::string path = dir.path() + "/w.ring";
  {
    auto ring = JournalRing::Open(path, kSmall);
    ASSERT_TRUE(ring.ok());
    Append(**ring, "good");
    Append(**ring, "damaged");
    Append(**ring, "after");
  }
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const char junk[4] = {1, 2, 3, 4};
  // The second entry's frame: header (4096), first entry (8-byte frame + "good" padded to 8).
  ASSERT_EQ(pwrite(fd, junk, sizeof(junk), 4096 + 16 + 4), 4);
  ::close(fd);
  auto ring = JournalRing::Open(path, kSmall);
  ASSERT_TRUE(ring.ok());
  Status s;
  EXPECT_EQ(Pending(**ring, &s), std::vector<std::string>{"good"});
  EXPECT_EQ(s.code(), Code::kInternal) << s.ToString();
}

TEST(JournalRingTest, AFileThatIsNotAJournalIsRefusedAndLeftAlone) {
  TestDir dir;
  const std::string path = dir.path() + "/w.ring";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  std::string text(8192, 'q');
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  auto ring = JournalRing::Open(path, kSmall);
  EXPECT_FALSE(ring.ok());
  EXPECT_EQ(ring.status().code(), Code::kInternal);
  EXPECT_FALSE(JournalRing::Open(dir.path() + "/x.ring", 3000).ok());  // not a power of two
}

TEST(JournalEntryTest, RoundTripsAndRefusesWhatIsNotAnEntry) {
  const std::string record = "record-bytes", tail = "\"time\":\"...\"}";
  std::string buf(JournalEntrySize(record, tail), '\0');
  WriteJournalEntry(buf.data(), record, tail);
  auto e = ParseJournalEntry(buf);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->record, record);
  EXPECT_EQ(e->audit_tail, tail);

  std::string no_tail(JournalEntrySize(record, ""), '\0');
  WriteJournalEntry(no_tail.data(), record, "");
  ASSERT_TRUE(ParseJournalEntry(no_tail).has_value());
  EXPECT_TRUE(ParseJournalEntry(no_tail)->audit_tail.empty());

  EXPECT_FALSE(ParseJournalEntry("").has_value());
  EXPECT_FALSE(ParseJournalEntry(buf.substr(0, 4)).has_value());
  std::string bad_version = buf;
  bad_version[0] = 9;
  EXPECT_FALSE(ParseJournalEntry(bad_version).has_value());
  std::string too_long = buf;
  too_long[4] = 0x7f;  // a record length past the end
  EXPECT_FALSE(ParseJournalEntry(too_long).has_value());
  std::string empty_record(JournalEntrySize("", tail), '\0');
  WriteJournalEntry(empty_record.data(), "", tail);
  EXPECT_FALSE(ParseJournalEntry(empty_record).has_value());
}

}  // namespace
}  // namespace edge::ledger
