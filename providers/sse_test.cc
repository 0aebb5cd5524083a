#include "providers/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edge::providers {
namespace {

struct Seen {
  std::string event, data, id, raw;
  bool has_data;
};

// Feeds `parts` in order and records every event as owned strings.
std::vector<Seen> FeedAll(SseFramer& framer, const std::vector<std::string>& parts,
                          bool* ok = nullptr) {
  std::vector<Seen> seen;
  bool all_ok = true;
  for (const std::string& p : parts) {
    all_ok &= framer.Feed(p, [&](const SseEvent& e) {
      seen.push_back({std::string(e.event), std::string(e.data), std::string(e.id),
                      std::string(e.raw), e.has_data});
    });
  }
  if (ok) *ok = all_ok;
  return seen;
}

std::vector<Seen> FeedOne(const std::string& s) {
  SseFramer framer;
  return FeedAll(framer, {s});
}

TEST(SseFramer, ReportsWholeEventsWithFields) {
  auto seen = FeedOne("event: delta\nid: 7\ndata: {\"a\":1}\n\ndata:x\n\n");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].event, "delta");
  EXPECT_EQ(seen[0].id, "7");
  EXPECT_EQ(seen[0].data, "{\"a\":1}");
  EXPECT_EQ(seen[0].raw, "event: delta\nid: 7\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(seen[1].data, "x");  // no space after the colon is fine too
  EXPECT_EQ(seen[1].event, "");
}

TEST(SseFramer, JoinsDataLinesWithNewline) {
  auto seen = FeedOne("data: one\ndata:  two\ndata\n\n");
  ASSERT_EQ(seen.size(), 1u);
  // Only one leading space is stripped; a bare `data` line adds an empty line.
  EXPECT_EQ(seen[0].data, "one\n two\n");
}

TEST(SseFramer, AcceptsCrlfAndCrLineEndings) {
  auto crlf = FeedOne("data: a\r\n\r\ndata: b\r\n\r\n");
  ASSERT_EQ(crlf.size(), 2u);
  EXPECT_EQ(crlf[0].data, "a");
  EXPECT_EQ(crlf[0].raw, "data: a\r\n\r\n");
  EXPECT_EQ(crlf[1].data, "b");

  auto cr = FeedOne("data: a\r\rdata: b\r\r ");
  ASSERT_EQ(cr.size(), 2u);
  EXPECT_EQ(cr[0].raw, "data: a\r\r");
  EXPECT_EQ(cr[1].data, "b");
}

TEST(SseFramer, CommentsAndBlankLinesAreReportedWithoutFields) {
  auto seen = FeedOne(": keep-alive\n\n\ndata: x\n\n");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].raw, ": keep-alive\n\n");
  EXPECT_FALSE(seen[0].has_data);
  EXPECT_EQ(seen[1].raw, "\n");
  EXPECT_TRUE(seen[2].has_data);
}

TEST(SseFramer, HoldsIncompleteEvent) {
  SseFramer framer;
  auto seen = FeedAll(framer, {"data: par", "tial\n"});
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(framer.pending(), 14u);
  seen = FeedAll(framer, {"\n"});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].data, "partial");
  EXPECT_EQ(framer.pending(), 0u);
}

TEST(SseFramer, TrailingCrWaitsForPossibleLf) {
  SseFramer framer;
  auto seen = FeedAll(framer, {"data: a\r\n\r"});
  EXPECT_TRUE(seen.empty());  // the next byte may be the LF of this CRLF
  seen = FeedAll(framer, {"\ndata: b\r\n\r\n"});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].raw, "data: a\r\n\r\n");
  EXPECT_EQ(seen[1].raw, "data: b\r\n\r\n");

  SseFramer cr_only;
  FeedAll(cr_only, {"data: a\r\r"});
  seen = FeedAll(cr_only, {"data: b\r\r"});
  ASSERT_EQ(seen.size(), 1u);  // "d" showed the CR stood alone
  EXPECT_EQ(seen[0].raw, "data: a\r\r");
}

TEST(SseFramer, FinishReportsCrEndedEventAndDropsUnfinished) {
  SseFramer framer;
  FeedAll(framer, {"data: a\r\r"});
  std::vector<std::string> raws;
  EXPECT_EQ(framer.Finish([&](const SseEvent& e) { raws.emplace_back(e.raw); }), 0u);
  ASSERT_EQ(raws.size(), 1u);
  EXPECT_EQ(raws[0], "data: a\r\r");

  SseFramer partial;
  FeedAll(partial, {"data: a\n\ndata: b\n"});
  EXPECT_EQ(partial.Finish([](const SseEvent&) { FAIL(); }), 8u);
  EXPECT_EQ(partial.pending(), 0u);
}

// Every two-way and three-way split gives the same events, and the raws concatenate back
// to the input.
TEST(SseFramer, EverySplitGivesTheSameEvents) {
  const std::string input =
      ": hi\r\nevent: e\r\ndata: {\"x\":\"a\\nb\"}\r\n\r\ndata: 1\ndata: 2\n\nid: 9\rdata: z\r\r"
      "data: [DONE]\n\n";
  const auto whole = FeedOne(input);
  ASSERT_EQ(whole.size(), 4u);
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); j += 7) {
      SseFramer framer;
      auto seen = FeedAll(framer, {input.substr(0, i), input.substr(i, j - i), input.substr(j)});
      ASSERT_EQ(seen.size(), whole.size()) << i << "," << j;
      std::string joined;
      for (size_t k = 0; k < seen.size(); ++k) {
        EXPECT_EQ(seen[k].data, whole[k].data);
        EXPECT_EQ(seen[k].event, whole[k].event);
        EXPECT_EQ(seen[k].id, whole[k].id);
        joined += seen[k].raw;
      }
      EXPECT_EQ(joined, input);
    }
  }
}

TEST(SseFramer, OneByteAtATime) {
  const std::string input = "data: a\r\n\r\n: c\n\ndata: b\n\n";
  SseFramer framer;
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  auto seen = FeedAll(framer, bytes);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].data, "b");
}

TEST(SseFramer, EventOverTheLimitIsAnError) {
  SseFramer framer(16);
  bool ok = true;
  auto seen = FeedAll(framer, {"data: short\n\n", "data: 0123456789", "abcdef\n\n"}, &ok);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(framer.error());
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(framer.pending(), 0u);
  EXPECT_FALSE(framer.Feed("data: x\n\n", [](const SseEvent&) { FAIL(); }));

  SseFramer whole(16);
  EXPECT_FALSE(whole.Feed("data: 0123456789abcdef\n\n", [](const SseEvent&) { FAIL(); }));
}

TEST(SseFramer, IdWithNulIsIgnored) {
  auto seen = FeedOne(std::string("id: a\0b\ndata: x\n\n", 18));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, "");
}

}  // namespace
}  // namespace edge::providers
