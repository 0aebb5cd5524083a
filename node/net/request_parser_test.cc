// The parsing wrapper alone: framing, limits and the smuggling cases, each fed whole and
// in every split (byte by byte too), since llhttp delivers tokens in pieces across reads.

#include "node/net/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edge::net {
namespace {

using Outcome = RequestParser::Outcome;

struct FeedResult {
  Outcome outcome = Outcome::kNeedMore;
  size_t consumed = 0;  // bytes of the input that belong to the request
};

// Feeds `in` in pieces of `step` bytes until the request completes or fails.
FeedResult Feed(RequestParser& p, std::string_view in, size_t step) {
  FeedResult r;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = std::min(step, in.size() - pos);
    size_t used = 0;
    r.outcome = p.Execute(in.substr(pos, n), &used);
    pos += used;
    r.consumed = pos;
    if (r.outcome != Outcome::kNeedMore) return r;
    if (used != n) {
      ADD_FAILURE() << "kNeedMore must consume everything";
      return r;
    }
  }
  return r;
}

ParserLimits SmallLimits() {
  ParserLimits l;
  l.max_body_bytes = 1000;
  l.max_header_bytes = 4096;
  l.max_header_fields = 20;
  return l;
}

// Every split size gives the same verdict.
void ExpectError(std::string_view in, int status, const ParserLimits& limits = SmallLimits()) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, in.size()}) {
    RequestParser p(limits);
    FeedResult r = Feed(p, in, step);
    EXPECT_EQ(r.outcome, Outcome::kError) << "step " << step << ": " << in;
    EXPECT_EQ(p.error_status(), status) << "step " << step << ": " << p.error_message();
  }
}

void ExpectComplete(std::string_view in, const std::function<void(RequestParser&)>& check,
                    const ParserLimits& limits = SmallLimits()) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, in.size()}) {
    RequestParser p(limits);
    FeedResult r = Feed(p, in, step);
    ASSERT_EQ(r.outcome, Outcome::kComplete) << "step " << step << ": " << p.error_message();
    EXPECT_EQ(r.consumed, in.size());
    check(p);
  }
}

TEST(RequestParserTest, SimpleGet) {
  ExpectComplete("GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nX-Tag:  v w  \r\n\r\n",
                 [](RequestParser& p) {
                   const HttpRequest& r = p.request();
                   EXPECT_EQ(r.method, "GET");
                   EXPECT_EQ(r.target, "/v1/models?x=1");
                   EXPECT_EQ(r.path(), "/v1/models");
                   EXPECT_EQ(r.version_minor, 1);
                   EXPECT_TRUE(r.keep_alive);
                   ASSERT_EQ(r.headers.size(), 2u);
                   EXPECT_EQ(*r.headers.Find("host"), "a");
                   EXPECT_EQ(*r.headers.Find("x-tag"), "v w");  // trailing blanks trimmed
                   EXPECT_GT(r.started_us, 0);
                   EXPECT_GE(r.complete_us, r.started_us);
                   EXPECT_TRUE(r.body.empty());
                 });
}

TEST(RequestParserTest, ContentLengthBody) {
  ExpectComplete("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
                 [](RequestParser& p) { EXPECT_EQ(p.request().body, "hello world"); });
}

TEST(RequestParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  ExpectComplete(
      "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
      [](RequestParser& p) {
        EXPECT_EQ(p.request().body, "hello world");
        EXPECT_EQ(p.request().headers.Find("x-trailer"), nullptr);  // trailers are dropped
      });
}

TEST(RequestParserTest, PipelinedRequestsOneAtATime) {
  const std::string in =
      "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  RequestParser p(SmallLimits());
  std::string_view rest = in;
  std::vector<std::string> targets;
  while (!rest.empty()) {
    size_t used = 0;
    ASSERT_EQ(p.Execute(rest, &used), Outcome::kComplete);
    targets.push_back(p.request().target);
    bool keep_alive = p.request().keep_alive;
    rest.remove_prefix(used);
    if (!keep_alive) break;
    p.Next();
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_TRUE(rest.empty());
  EXPECT_FALSE(p.request().keep_alive);
}

TEST(RequestParserTest, NextReusesStorage) {
  RequestParser p(SmallLimits());
  const std::string req =
      "GET /a-long-target-that-needs-the-heap HTTP/1.1\r\nHost: a\r\nX-Long: " + std::string(64, 'v') +
      "\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(p.Execute(req, &used), Outcome::kComplete);
  const char* target = p.request().target.data();
  const char* value = (p.request().headers.begin() + 1)->second.data();
  p.Next();
  ASSERT_EQ(p.Execute(req, &used), Outcome::kComplete);
  EXPECT_EQ(p.request().target.data(), target);
  EXPECT_EQ((p.request().headers.begin() + 1)->second.data(), value);
  EXPECT_EQ(p.request().headers.size(), 2u);
}

TEST(RequestParserTest, Http10KeepAlive) {
  ExpectComplete("GET / HTTP/1.0\r\n\r\n", [](RequestParser& p) {
    EXPECT_EQ(p.request().version_minor, 0);
    EXPECT_FALSE(p.request().keep_alive);
  });
  ExpectComplete("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                 [](RequestParser& p) { EXPECT_TRUE(p.request().keep_alive); });
  ExpectComplete("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                 [](RequestParser& p) { EXPECT_FALSE(p.request().keep_alive); });
}

TEST(RequestParserTest, ExpectContinueIsReportedAtHeaders) {
  RequestParser p(SmallLimits());
  size_t used = 0;
  const std::string head = "POST /a HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
  ASSERT_EQ(p.Execute(head, &used), Outcome::kNeedMore);
  EXPECT_TRUE(p.headers_complete());
  EXPECT_TRUE(p.expect_continue());
  ASSERT_EQ(p.Execute("abc", &used), Outcome::kComplete);
  EXPECT_EQ(p.request().body, "abc");
}

TEST(RequestParserTest, UpgradeIsNotKeptAlive) {
  ExpectComplete("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
                 [](RequestParser& p) {
                   EXPECT_TRUE(p.upgrade());
                   EXPECT_FALSE(p.request().keep_alive);
                 });
}

TEST(RequestParserTest, Smuggling) {
  ExpectError("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
  ExpectError("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
  ExpectError("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", 400);
  ExpectError("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400);
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400);
  ExpectError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);  // space before colon
  ExpectError("POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc", 400);
  ExpectError("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400);  // obs-fold
  ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400);  // control char
  ExpectError(std::string("GET / HTTP/1.1\r\nX: a\0z\r\n\r\n", 27), 400);
  ExpectError("GET / HTTP/1.1\nHost: x\n\n", 400);        // bare LF
  ExpectError("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400);  // bare CR
  ExpectError("GET /a b HTTP/1.1\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\n X: a\r\n\r\n", 400);
  ExpectError("GET /a\r\n\r\n", 400);  // HTTP/0.9
  ExpectError("GET / HTTP/2.0\r\n\r\n", 505);
}

TEST(RequestParserTest, HeaderBlockLimit) {
  ParserLimits limits = SmallLimits();
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(5000, 'a') + "\r\n\r\n", 431, limits);
  ExpectError("GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 431, limits);
  // Many small fields whose sum is over the limit.
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 19; ++i)
    many += "X-F" + std::to_string(i) + ": " + std::string(300, 'b') + "\r\n";
  ExpectError(many + "\r\n", 431, limits);
  // Just under the limit passes.
  ExpectComplete(
      "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(4000, 'a') + "\r\n\r\n",
      [](RequestParser& p) { EXPECT_EQ(p.request().headers.size(), 2u); }, limits);
}

TEST(RequestParserTest, HeaderFieldCountLimit) {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 21; ++i) req += "X" + std::to_string(i) + ": v\r\n";
  ExpectError(req + "\r\n", 431);
  std::string ok = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 19; ++i) ok += "X" + std::to_string(i) + ": v\r\n";  // + Host
  ExpectComplete(ok + "\r\n", [](RequestParser& p) { EXPECT_EQ(p.request().headers.size(), 20u); });
}

TEST(RequestParserTest, BodyLimit) {
  // By Content-Length: refused at the headers, before any body byte.
  RequestParser p(SmallLimits());
  size_t used = 0;
  EXPECT_EQ(p.Execute("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", &used), Outcome::kError);
  EXPECT_EQ(p.error_status(), 413);
  // Chunked: refused at the chunk header that would cross the limit.
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413);
  ExpectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1f4\r\n" +
                  std::string(500, 'a') + "\r\n1f5\r\n",
              413);
  ExpectComplete("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'z'),
                 [](RequestParser& p) { EXPECT_EQ(p.request().body.size(), 1000u); });
}

TEST(RequestParserTest, ErrorIsSticky) {
  RequestParser p(SmallLimits());
  size_t used = 0;
  EXPECT_EQ(p.Execute("BOGUS\r\n\r\n", &used), Outcome::kError);
  EXPECT_EQ(p.error_status(), 400);
  EXPECT_FALSE(p.error_message().empty());
  EXPECT_EQ(p.Execute("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &used), Outcome::kError);
}

TEST(RequestParserTest, Http11NeedsExactlyOneHost) {
  ExpectError("GET / HTTP/1.1\r\n\r\n", 400);
  ExpectError("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
  // HTTP/1.0 predates Host.
  ExpectComplete("GET / HTTP/1.0\r\n\r\n", [](RequestParser& p) {
    EXPECT_EQ(p.request().target, "/");
  });
}

TEST(RequestParserTest, AbsoluteFormTargetsAreReadAsTheirPath) {
  ExpectComplete("POST http://edge.example:8080/v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\n"
                 "Content-Length: 0\r\n\r\n",
                 [](RequestParser& p) {
                   EXPECT_EQ(p.request().target, "/v1/chat/completions?x=1");
                   EXPECT_EQ(p.request().path(), "/v1/chat/completions");
                 });
  ExpectComplete("GET HTTPS://edge.example HTTP/1.1\r\nHost: a\r\n\r\n",
                 [](RequestParser& p) { EXPECT_EQ(p.request().target, "/"); });
  ExpectComplete("GET http://edge.example?q HTTP/1.1\r\nHost: a\r\n\r\n",
                 [](RequestParser& p) { EXPECT_EQ(p.request().target, "/?q"); });
  ExpectComplete("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                 [](RequestParser& p) { EXPECT_EQ(p.request().target, "*"); });
}

TEST(RequestParserTest, TargetsThatAreNeitherPathsNorAbsoluteUrisAreRefused) {
  ExpectError("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET ftp://edge.example/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  ExpectError("GET http:///v1/models HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

}  // namespace
}  // namespace edge::net
