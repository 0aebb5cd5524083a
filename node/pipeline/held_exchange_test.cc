#include "node/pipeline/held_exchange.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace edge::pipeline {
namespace {

// The connection's side of an exchange: records what reaches it.
class RecordingExchange final : public net::ServerExchange {
 public:
  const net::HttpRequest& request() const override { return request_; }
  const std::string& request_id() const override { return id_; }
  const std::string& peer_ip() const override { return ip_; }
  const sockaddr_in6& peer_addr() const override { return addr_; }
  void SendHead(int status, const net::HeaderList& headers,
                std::optional<uint64_t> content_length) override {
    status_ = status;
    content_length_ = content_length;
    Keep(headers);
  }
  bool SendBody(std::string_view data) override {
    body_.append(data);
    return true;
  }
  void End() override { ended_ = true; }
  void Reply(int status, const net::HeaderList& headers, std::string_view body) override {
    SendHead(status, headers, body.size());
    SendBody(body);
    End();
  }
  void Abort() override { aborted_ = true; }
  void SetObserver(net::ExchangeObserver*) override {}

  int status_ = 0;
  std::optional<uint64_t> content_length_;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string body_;
  bool ended_ = false, aborted_ = false;

 private:
  void Keep(const net::HeaderList& headers) { fields_.assign(headers.begin(), headers.end()); }
  net::HttpRequest request_;
  std::string id_ = "req-1", ip_ = "127.0.0.1";
  sockaddr_in6 addr_{};
};

// A whole reply's head goes to the connection at once (which keeps a head of known length
// until the body's first bytes), its body on release.
TEST(HeldExchange, AWholeReplysBodyGoesOutOnRelease) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  net::HeaderList headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Empty", "");
  headers.Add("Set-Cookie", "a=1");
  headers.Add("Set-Cookie", "b=2");
  const std::string body = "{\"id\":\"chatcmpl-1\"}";
  held.Reply(201, headers, body);
  EXPECT_EQ(inner.status_, 201);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"Content-Type", "application/json"},
      {"X-Empty", ""},
      {"Set-Cookie", "a=1"},
      {"Set-Cookie", "b=2"}};
  EXPECT_EQ(inner.fields_, want);
  EXPECT_EQ(inner.content_length_, body.size());
  EXPECT_TRUE(inner.body_.empty());  // nothing of the body before the record is durable
  EXPECT_FALSE(inner.ended_);
  EXPECT_TRUE(held.ended());
  held.Release(true);
  EXPECT_EQ(inner.body_, body);
  EXPECT_TRUE(inner.ended_);
  held.Release(true);  // idempotent
  EXPECT_EQ(inner.body_, body);
}

TEST(HeldExchange, AnEmptyReplyEndsOnRelease) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  held.Reply(204, net::HeaderList(), "");
  EXPECT_EQ(inner.content_length_, 0u);
  EXPECT_FALSE(inner.ended_);
  held.Release(true);
  EXPECT_EQ(inner.status_, 204);
  EXPECT_TRUE(inner.body_.empty());
  EXPECT_TRUE(inner.ended_);
}

TEST(HeldExchange, AReplyNotToBeDeliveredAbortsTheConnection) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  net::HeaderList headers;
  headers.Add("Content-Type", "application/json");
  held.Reply(200, headers, "{}");
  held.Release(false);
  EXPECT_TRUE(inner.aborted_);
  EXPECT_TRUE(inner.body_.empty());
  EXPECT_FALSE(inner.ended_);
}

TEST(HeldExchange, ALargeReplyStreamsButForItsLastByte) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  net::HeaderList headers;
  headers.Add("Content-Type", "application/json");
  const std::string body(kHoldWholeReplyBytes + 10, 'x');
  held.Reply(200, headers, body);
  EXPECT_EQ(inner.body_.size(), body.size() - 1);
  EXPECT_FALSE(inner.ended_);
  held.Release(true);
  EXPECT_EQ(inner.body_, body);
  EXPECT_TRUE(inner.ended_);
}

}  // namespace
}  // namespace edge::pipeline
