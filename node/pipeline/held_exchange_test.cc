#include "node/pipeline/held_exchange.h"

#include <gtest/gtest.h>

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
  void SendHead(int status, const net::HeaderList& headers, std::optional<uint64_t>) override {
    status_ = status;
    Keep(headers);
  }
  bool SendBody(std::string_view data) override {
    body_.append(data);
    return true;
  }
  void End() override { ended_ = true; }
  void Reply(int status, const net::HeaderList& headers, std::string_view body) override {
    status_ = status;
    Keep(headers);
    body_.append(body);
    ended_ = true;
    ++replies_;
  }
  void Abort() override { aborted_ = true; }
  void SetObserver(net::ExchangeObserver*) override {}

  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string body_;
  bool ended_ = false, aborted_ = false;
  int replies_ = 0;

 private:
  void Keep(const net::HeaderList& headers) { fields_.assign(headers.begin(), headers.end()); }
  net::HttpRequest request_;
  std::string id_ = "req-1", ip_ = "127.0.0.1";
  sockaddr_in6 addr_{};
};

TEST(HeldExchange, AWholeReplyGoesOutOnReleaseWithEveryFieldAsGiven) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  net::HeaderList headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("X-Edge-Jurisdiction", "EU; source=ip");
  headers.Add("X-Empty", "");
  headers.Add("Set-Cookie", "a=1");
  headers.Add("Set-Cookie", "b=2");
  headers.Add("X-Long", std::string(300, 'v'));
  const std::string body = "{\"id\":\"chatcmpl-1\"}";
  held.Reply(201, headers, body);
  headers.Clear();  // the caller's list is reused for the next reply: the held one is a copy
  headers.Add("X-Other", "request");

  EXPECT_EQ(inner.replies_, 0);  // nothing before the record is durable
  EXPECT_TRUE(held.ended());
  held.Release(true);
  ASSERT_EQ(inner.replies_, 1);
  EXPECT_EQ(inner.status_, 201);
  EXPECT_EQ(inner.body_, body);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"Content-Type", "application/json"},
      {"X-Edge-Jurisdiction", "EU; source=ip"},
      {"X-Empty", ""},
      {"Set-Cookie", "a=1"},
      {"Set-Cookie", "b=2"},
      {"X-Long", std::string(300, 'v')}};
  EXPECT_EQ(inner.fields_, want);
  held.Release(true);  // idempotent
  EXPECT_EQ(inner.replies_, 1);
}

TEST(HeldExchange, AnEmptyReplyWithoutFieldsIsStillOneReply) {
  RecordingExchange inner;
  bool tail_started = false;
  HeldExchange held(inner, &tail_started);
  held.Reply(204, net::HeaderList(), "");
  held.Release(true);
  EXPECT_EQ(inner.replies_, 1);
  EXPECT_EQ(inner.status_, 204);
  EXPECT_TRUE(inner.fields_.empty());
  EXPECT_TRUE(inner.body_.empty());
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
  EXPECT_EQ(inner.replies_, 0);
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
  EXPECT_EQ(inner.replies_, 0);
}

}  // namespace
}  // namespace edge::pipeline
