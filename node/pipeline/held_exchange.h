#pragma once

// The ledger's durability contract (DESIGN.md: a crash loses no finished request's record):
// the client gets the last bytes of a response only after the request's record is durable (in
// the worker's journal or the WAL, ledger_commit.h). This wraps the connection's exchange for one request and holds back
//   - a whole reply (Reply) up to kHoldWholeReplyBytes, and the last byte of a larger one: a
//     client reading Content-Length bytes cannot have the answer without it;
//   - a stream's end (End: the terminating chunk, or the close of an HTTP/1.0 stream), and
//     whatever body the pipeline sends after the upstream finished or from the upstream's
//     last bytes when its end came with them (the final events: usage, [DONE], an error
//     event), so that a stream client sees its last event only after the write, and gets it
//     with the end in one write (EndWith);
// until Release(): sent and ended after a successful write, or the connection aborted when
// the record could not be written and ledger.on_error is refuse. Everything before that flows
// through untouched (streams are not delayed).
//
// Lifetime: owned by the RequestContext; it is the inner exchange's observer and forwards
// OnWritable / OnAborted to the context until Detach().

#include <optional>
#include <string>

#include "node/net/http_server.h"

namespace edge::pipeline {

// Replies up to this size are held whole and sent in one write on release.
inline constexpr size_t kHoldWholeReplyBytes = 64 * 1024;

class HeldExchange final : public net::ServerExchange, public net::ExchangeObserver {
 public:
  // `tail_started` (the request's upstream_ending): once true, body bytes are held too.
  HeldExchange(net::ServerExchange& inner, const bool* tail_started);

  // ServerExchange
  const net::HttpRequest& request() const override { return *request_; }
  const std::string& request_id() const override { return request_id_; }
  const std::string& peer_ip() const override { return peer_ip_; }
  const sockaddr_in6& peer_addr() const override { return peer_addr_; }
  void SendHead(int status, const net::HeaderList& headers,
                std::optional<uint64_t> content_length) override;
  bool SendBody(std::string_view data) override;
  void End() override;
  void Reply(int status, const net::HeaderList& headers, std::string_view body) override;
  void Abort() override;
  void SetObserver(net::ExchangeObserver* observer) override { observer_ = observer; }

  // ExchangeObserver (the inner exchange's events)
  void OnWritable(net::ServerExchange& ex) override;
  void OnAborted(net::ServerExchange& ex) override;

  // Stop forwarding events to the observer (the request was finalized).
  void Detach() { observer_ = nullptr; }
  // Sends what is held and ends the response (`deliver`), or aborts the connection. A
  // response that was never ended, or a client that is gone, is left as it is. Idempotent.
  void Release(bool deliver);

  bool ended() const { return ended_; }
  // When the request's first byte was read; kept, since the request itself goes with the
  // connection.
  int64_t started_us() const { return started_us_; }
  bool client_gone() const { return inner_ == nullptr; }

 private:
  net::ServerExchange* inner_;  // null once it ended or the client went away
  const net::HttpRequest* request_;
  std::string request_id_, peer_ip_;
  int64_t started_us_;
  sockaddr_in6 peer_addr_;
  net::ExchangeObserver* observer_ = nullptr;
  const bool* tail_started_;
  bool ended_ = false;
  std::string held_;  // body bytes to send on release
};

}  // namespace edge::pipeline
