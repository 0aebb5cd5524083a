#include "node/net/response_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edge::net {
namespace {

struct Recorder : ResponseParser::Listener {
  bool OnHead(int s, const HeaderList& h) override {
    ++heads;
    status = s;
    for (const auto& [name, value] : h) headers.push_back(name + "=" + value);
    return !stop_at_head;
  }
  bool OnBody(std::string_view data) override {
    body.append(data);
    ++body_calls;
    return !stop_at_body;
  }
  bool OnLastBody(std::string_view data) override {
    last.assign(data);
    ++last_calls;
    return OnBody(data);
  }
  int heads = 0;
  int status = 0;
  std::vector<std::string> headers;
  std::string body;
  int body_calls = 0;
  std::string last;  // what OnLastBody got
  int last_calls = 0;
  bool stop_at_head = false;
  bool stop_at_body = false;
};

// Feeds `wire` in pieces of `step` bytes; returns the first error.
Status FeedInPieces(ResponseParser& p, std::string_view wire, size_t step) {
  for (size_t i = 0; i < wire.size(); i += step) {
    Status s = p.Feed(wire.substr(i, step));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

TEST(ResponseParserTest, ContentLengthBodyKeepAlive) {
  for (size_t step : {1, 3, 1000}) {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(FeedInPieces(p,
                             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 5\r\n\r\nhello",
                             step)
                    .ok());
    EXPECT_TRUE(p.complete());
    EXPECT_TRUE(p.keep_alive());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0], "Content-Type=text/plain");
  }
}

TEST(ResponseParserTest, ChunkedBodyIsDechunked) {
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
  ASSERT_TRUE(FeedInPieces(p, wire, 2).ok());
  EXPECT_TRUE(p.complete());
  EXPECT_TRUE(p.keep_alive());
  EXPECT_EQ(r.body, "hello, world");
}

TEST(ResponseParserTest, CloseDelimitedBodyEndsAtEof) {
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\n\r\nall of ").ok());
  ASSERT_TRUE(p.Feed("this").ok());
  EXPECT_FALSE(p.complete());
  ASSERT_TRUE(p.Finish().ok());
  EXPECT_TRUE(p.complete());
  EXPECT_FALSE(p.keep_alive());
  EXPECT_EQ(r.body, "all of this");
}

TEST(ResponseParserTest, InterimResponsesAreSkipped) {
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 100 Continue\r\n\r\n"
                     "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
                     "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
                  .ok());
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(r.heads, 1);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers, std::vector<std::string>{"Content-Length=2"});
  EXPECT_EQ(r.body, "ok");
}

TEST(ResponseParserTest, InterimResponseNeverHasABody) {
  // Found by fuzzing: llhttp would read a body for a 1xx with a Content-Length.
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                  .ok());
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST(ResponseParserTest, NoBodyStatusesAndHead) {
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed("HTTP/1.1 204 No Content\r\n\r\n").ok());
    EXPECT_TRUE(p.complete());
    EXPECT_TRUE(p.keep_alive());
  }
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, true);
    ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n").ok());
    EXPECT_TRUE(p.complete()) << "a response to HEAD has no body";
    EXPECT_TRUE(p.keep_alive());
    EXPECT_EQ(r.body, "");
  }
}

TEST(ResponseParserTest, KeepAliveRules) {
  struct Case {
    const char* wire;
    bool keep_alive;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n", false},  // extra bytes
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", false},
  };
  for (const auto& c : cases) {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed(c.wire).ok()) << c.wire;
    EXPECT_TRUE(p.complete()) << c.wire;
    EXPECT_EQ(p.keep_alive(), c.keep_alive) << c.wire;
  }
  // Bytes in a later read after the end count too.
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").ok());
  EXPECT_TRUE(p.keep_alive());
  ASSERT_TRUE(p.Feed("x").ok());
  EXPECT_FALSE(p.keep_alive());
}

TEST(ResponseParserTest, MalformedResponsesNameTheReason) {
  const char* cases[] = {
      "garbage\r\n\r\n",
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/9.9 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (const char* wire : cases) {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    Status s = p.Feed(wire);
    ASSERT_FALSE(s.ok()) << wire;
    EXPECT_EQ(s.code(), Code::kUnavailable);
    EXPECT_FALSE(s.message().empty());
    EXPECT_FALSE(p.complete());
    // The error sticks.
    EXPECT_FALSE(p.Feed("HTTP/1.1 200 OK\r\n\r\n").ok());
    EXPECT_FALSE(p.Finish().ok());
  }
}

TEST(ResponseParserTest, EofBeforeOrDuringTheResponse) {
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    Status s = p.Finish();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("before a response arrived"), std::string::npos);
  }
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").ok());
    Status s = p.Finish();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("before the response was complete"), std::string::npos);
    EXPECT_EQ(r.body, "abc");
  }
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab").ok());
    EXPECT_FALSE(p.Finish().ok());
  }
}

TEST(ResponseParserTest, ListenerCanStop) {
  ResponseParser p;
  Recorder r;
  r.stop_at_head = true;
  p.Reset(&r, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc").ok());
  EXPECT_TRUE(p.stopped());
  EXPECT_FALSE(p.complete());
  EXPECT_EQ(r.body_calls, 0);

  ResponseParser q;
  Recorder r2;
  r2.stop_at_body = true;
  q.Reset(&r2, false);
  ASSERT_TRUE(
      q.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n").ok());
  EXPECT_TRUE(q.stopped());
  EXPECT_EQ(r2.body, "a");
  EXPECT_TRUE(q.Feed("0\r\n\r\n").ok());
  EXPECT_FALSE(q.complete());
}

// Body bytes read together with the response's end come as OnLastBody (a proxy sends them
// with its own end); bytes whose read ended before the response did come as OnBody.
TEST(ResponseParserTest, TheLastBodyBytesComeWithTheEnd) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed(head + "1\r\na\r\n2\r\nbc\r\n0\r\n\r\n").ok());
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(r.body, "abc");
    EXPECT_EQ(r.last, "bc");
    EXPECT_EQ(r.last_calls, 1);
  }
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed(head + "1\r\na\r\n2\r\nbc\r\n").ok());
    EXPECT_EQ(r.body, "abc");  // nothing is kept past the read
    ASSERT_TRUE(p.Feed("0\r\n\r\n").ok());
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(r.last_calls, 0);
    EXPECT_EQ(r.body_calls, 2);
  }
  {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel").ok());
    ASSERT_TRUE(p.Feed("lo").ok());
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.last, "lo");
  }
  {
    ResponseParser p;
    Recorder r;
    r.stop_at_body = true;  // also when the bytes are the last
    p.Reset(&r, false);
    ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").ok());
    EXPECT_TRUE(p.stopped());
    EXPECT_FALSE(p.complete());
    EXPECT_EQ(r.last, "ok");
  }
}

TEST(ResponseParserTest, HeadersSplitAnywhereAndEmptyValues) {
  std::string wire =
      "HTTP/1.1 200 OK\r\nX-Long-Name: some value\r\nX-Empty:\r\n"
      "Content-Length: 0\r\n\r\n";
  for (size_t step = 1; step < wire.size(); ++step) {
    ResponseParser p;
    Recorder r;
    p.Reset(&r, false);
    ASSERT_TRUE(FeedInPieces(p, wire, step).ok());
    EXPECT_EQ(r.headers,
              (std::vector<std::string>{"X-Long-Name=some value", "X-Empty=", "Content-Length=0"}))
        << step;
  }
}

TEST(ResponseParserTest, OversizedHeadIsMalformed) {
  ResponseParser p;
  Recorder r;
  p.Reset(&r, false);
  std::string wire =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(ResponseParser::kMaxHeaderBytes + 1, 'a') +
      "\r\n\r\n";
  Status s = p.Feed(wire);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("too large"), std::string::npos);
}

TEST(ResponseParserTest, ResetReusesTheParser) {
  ResponseParser p;
  Recorder r1, r2;
  p.Reset(&r1, false);
  ASSERT_TRUE(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na").ok());
  p.Reset(&r2, false);
  EXPECT_FALSE(p.complete());
  ASSERT_TRUE(p.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb").ok());
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(r2.status, 404);
  EXPECT_EQ(r2.body, "b");
  EXPECT_EQ(r1.body, "a");
}

// --- The same bytes give the same answer however they are cut into reads ---------------

// What the owner of a parser learns from one response, as text so that two ways of
// feeding compare in one line.
struct Seen {
  std::string feed_error;    // the first Feed() error; empty if none
  std::string finish_error;  // Finish()'s error, after every piece was fed; empty if ok
  int status = 0;
  std::vector<std::string> headers;
  std::string body;
  int heads = 0;
  bool complete = false;
  bool keep_alive = false;

  std::string Describe() const {
    std::string s = "feed=[" + feed_error + "] finish=[" + finish_error +
                    "] heads=" + std::to_string(heads) + " status=" + std::to_string(status) + "\n";
    for (const auto& h : headers) s += "  " + h + "\n";
    s += "body=[" + body + "]" + (complete ? " complete" : "") + (keep_alive ? " keep-alive" : "");
    return s;
  }
};

// Feeds `wire` cut at the ascending positions `cuts`, stopping at the first error, then
// ends the stream.
Seen FeedCut(std::string_view wire, const std::vector<size_t>& cuts, ResponseLimits limits,
             bool head_request) {
  ResponseParser p(limits);
  Recorder r;
  p.Reset(&r, head_request);
  Seen seen;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (size_t to : ends) {
    Status s = p.Feed(wire.substr(from, to - from));
    from = to;
    if (!s.ok()) {
      seen.feed_error = s.message().empty() ? "(empty message)" : std::string(s.message());
      break;
    }
  }
  Status end = p.Finish();
  if (!end.ok()) seen.finish_error = end.message();
  seen.status = r.status;
  seen.headers = r.headers;
  seen.body = r.body;
  seen.heads = r.heads;
  seen.complete = p.complete();
  seen.keep_alive = p.complete() && p.keep_alive();
  return seen;
}

std::string CutsText(const std::vector<size_t>& cuts) {
  std::string s;
  for (size_t c : cuts) s += std::to_string(c) + " ";
  return s;
}

// Feeds `wire` whole, cut at every position, cut at every pair of positions (short inputs)
// and byte by byte; every way must give what the whole feed gave, which is returned.
Seen SameInEverySplit(std::string_view wire, ResponseLimits limits = {},
                      bool head_request = false) {
  const Seen whole = FeedCut(wire, {}, limits, head_request);
  const std::string expected = whole.Describe();
  auto check = [&](const std::vector<size_t>& cuts) {
    std::string got = FeedCut(wire, cuts, limits, head_request).Describe();
    EXPECT_EQ(got, expected) << "cut at " << CutsText(cuts) << "of:\n" << wire;
    return got == expected;
  };
  for (size_t i = 1; i < wire.size(); ++i) {
    if (!check({i})) return whole;
  }
  if (wire.size() <= 160) {
    for (size_t i = 1; i < wire.size(); ++i) {
      for (size_t j = i + 1; j < wire.size(); ++j) {
        if (!check({i, j})) return whole;
      }
    }
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < wire.size(); ++i) every.push_back(i);
  check(every);
  return whole;
}

ResponseLimits SmallLimits() {
  ResponseLimits limits;
  limits.max_head_bytes = 64;
  limits.max_header_fields = 3;
  return limits;
}

TEST(ResponseParserSplitTest, Framing) {
  const char* cases[] = {
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
      ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n"),
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\nall of this",
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
      "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "",
  };
  for (const char* wire : cases) SameInEverySplit(wire);
  Seen head = SameInEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", {}, true);
  EXPECT_TRUE(head.complete);
  EXPECT_TRUE(head.keep_alive);
}

TEST(ResponseParserSplitTest, InterimResponses) {
  Seen seen = SameInEverySplit(
      "HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(seen.status, 201);
  EXPECT_EQ(seen.headers, std::vector<std::string>{"Content-Length=2"});
  SameInEverySplit(
      "HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\n"
      "Content-Length: 2\r\n\r\nok");
  SameInEverySplit("HTTP/1.1 100 Continue\r\n\r\n");
  SameInEverySplit("HTTP/1.0 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nx");
}

TEST(ResponseParserSplitTest, MalformedFields) {
  const char* cases[] = {
      "garbage\r\n\r\n",
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/9.9 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
      "HTTP/1.1 200 OK\r\nName : value\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX:   padded   \r\nY:\t\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\x01z\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX\x01Y: a\r\n\r\n",
      "HTTP/1.1 200 OK\nX: lf only\nContent-Length: 1\n\nz",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
      "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 1\r\n\r\nz",
  };
  for (const char* wire : cases) SameInEverySplit(wire);
  // Our own refusals keep their words (llhttp replaces a complete callback's reason with
  // "`on_headers_complete` callback error").
  EXPECT_EQ(SameInEverySplit("HTTP/1.1 101 Switching Protocols\r\n\r\n").feed_error,
            "unexpected 101 Switching Protocols");
}

// The first byte past the cap is the error, wherever the reads end and whatever follows;
// a head of exactly the cap is fine. (Before, a head over the cap with a malformed byte
// past it was llhttp's error read at once and "too large" read in pieces.)
TEST(ResponseParserSplitTest, HeadCap) {
  ResponseLimits limits = SmallLimits();
  const std::string status_line = "HTTP/1.1 200 OK\r\n";
  const std::string at_cap =  // 17 + 45 + 2 = 64 bytes of head
      status_line + "X: " + std::string(40, 'a') + "\r\n\r\n";
  ASSERT_EQ(at_cap.size(), 64u);
  Seen ok = SameInEverySplit(at_cap + "tail", limits);
  EXPECT_EQ(ok.feed_error, "");
  EXPECT_EQ(ok.status, 200);
  // Blank lines before the status line do not count.
  EXPECT_EQ(SameInEverySplit("\r\n" + at_cap, limits).feed_error, "");

  const std::string over = status_line + "X: " + std::string(41, 'a') + "\r\n\r\n";
  EXPECT_EQ(SameInEverySplit(over, limits).feed_error, "response head too large");
  // A malformed byte past the cap: still too large. Before it: llhttp's error.
  std::string bad_past = status_line + "X: " + std::string(60, 'a') + "\x01\r\n\r\n";
  EXPECT_EQ(SameInEverySplit(bad_past, limits).feed_error, "response head too large");
  std::string bad_before = status_line + "X: a\x01" + std::string(60, 'a') + "\r\n\r\n";
  Seen bad = SameInEverySplit(bad_before, limits);
  EXPECT_NE(bad.feed_error, "");
  EXPECT_EQ(bad.feed_error.find("too large"), std::string::npos);
  // A long field name, and a long status line, are in the head too.
  SameInEverySplit(status_line + std::string(70, 'N') + ": v\r\n\r\n", limits);
  SameInEverySplit("HTTP/1.1 200 " + std::string(70, 'R') + "\r\n\r\n", limits);
}

// Each head (interim and final) has its own cap.
TEST(ResponseParserSplitTest, EachInterimHeadHasItsOwnCap) {
  ResponseLimits limits = SmallLimits();
  std::string interim = "HTTP/1.1 103 Early Hints\r\nLink: " + std::string(26, 'l') + "\r\n\r\n";
  std::string final_head = "HTTP/1.1 200 OK\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
  ASSERT_LE(interim.size(), 64u);
  ASSERT_LE(final_head.size(), 64u);
  Seen seen = SameInEverySplit(interim + interim + final_head, limits, true);
  EXPECT_EQ(seen.feed_error, "");
  EXPECT_TRUE(seen.complete);
  std::string big_interim = "HTTP/1.1 100 Continue\r\nX: " + std::string(60, 'i') + "\r\n\r\n";
  EXPECT_EQ(SameInEverySplit(big_interim + final_head, limits).feed_error,
            "response head too large");
}

TEST(ResponseParserSplitTest, FieldCount) {
  ResponseLimits limits = SmallLimits();
  limits.max_head_bytes = 1024;
  Seen three = SameInEverySplit("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits, true);
  EXPECT_EQ(three.feed_error, "");
  EXPECT_EQ(three.headers.size(), 3u);
  EXPECT_EQ(SameInEverySplit("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits)
                .feed_error,
            "too many response headers");
  // Fields of an interim response do not count towards the final one's.
  SameInEverySplit(
      "HTTP/1.1 103 Early Hints\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
      "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
      limits, true);
}

// Trailer fields are dropped (the head was delivered before them), capped in bytes and in
// number apart from the head.
TEST(ResponseParserSplitTest, Trailers) {
  ResponseLimits limits = SmallLimits();
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Seen seen = SameInEverySplit(head + "2\r\nab\r\n0\r\nT: 1\r\nU: 2\r\n\r\n", limits);
  EXPECT_TRUE(seen.complete);
  EXPECT_EQ(seen.body, "ab");
  EXPECT_EQ(seen.headers, std::vector<std::string>{"Transfer-Encoding=chunked"});
  // 64 bytes of trailer section (after "0\r\n") are fine, 65 are not.
  std::string at_cap = "T: " + std::string(57, 't') + "\r\n\r\n";
  ASSERT_EQ(at_cap.size(), 64u);
  EXPECT_TRUE(SameInEverySplit(head + "0\r\n" + at_cap, limits).complete);
  std::string over = "T: " + std::string(58, 't') + "\r\n\r\n";
  EXPECT_EQ(SameInEverySplit(head + "0\r\n" + over, limits).feed_error,
            "response trailer section too large");
  std::string bad_past = "T: " + std::string(64, 't') + "\x01\r\n\r\n";
  EXPECT_EQ(SameInEverySplit(head + "0\r\n" + bad_past, limits).feed_error,
            "response trailer section too large");
  EXPECT_EQ(SameInEverySplit(head + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits).feed_error,
            "too many response trailer fields");
  SameInEverySplit(head + "0\r\nBad Trailer\r\n\r\n", limits);
}

// The default limits, with a head just under and just over them, fed in a few ways (every
// cut of a 256 KiB head would take too long; the small limits above cover the cuts).
TEST(ResponseParserSplitTest, DefaultHeadCap) {
  const std::string prefix = "HTTP/1.1 200 OK\r\nX: ";
  for (size_t extra : {0, 1}) {
    std::string wire = prefix;
    wire += std::string(ResponseParser::kMaxHeaderBytes - prefix.size() - 4 + extra, 'a');
    wire += "\r\n\r\n";
    Seen whole = FeedCut(wire, {}, {}, true);
    const std::string expected = whole.Describe();
    for (size_t cut : {size_t{1}, size_t{20}, wire.size() / 2, wire.size() - 3}) {
      // Not EXPECT_EQ: a failure would print 256 KiB twice.
      EXPECT_TRUE(FeedCut(wire, {cut}, {}, true).Describe() == expected) << extra << " " << cut;
    }
    EXPECT_EQ(whole.feed_error, extra == 0 ? "" : "response head too large");
    EXPECT_EQ(whole.complete, extra == 0);
  }
}

}  // namespace
}  // namespace edge::net
