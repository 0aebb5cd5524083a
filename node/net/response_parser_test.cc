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
  int heads = 0;
  int status = 0;
  std::vector<std::string> headers;
  std::string body;
  int body_calls = 0;
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

}  // namespace
}  // namespace edge::net
