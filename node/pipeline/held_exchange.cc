#include "node/pipeline/held_exchange.h"

namespace edge::pipeline {

HeldExchange::HeldExchange(net::ServerExchange& inner, const bool* tail_started)
    : inner_(&inner),
      request_(&inner.request()),
      request_id_(inner.request_id()),
      peer_ip_(inner.peer_ip()),
      started_us_(inner.request().started_us),
      peer_addr_(inner.peer_addr()),
      tail_started_(tail_started) {
  inner.SetObserver(this);
}

void HeldExchange::SendHead(int status, const net::HeaderList& headers,
                            std::optional<uint64_t> content_length) {
  if (inner_ != nullptr) inner_->SendHead(status, headers, content_length);
}

bool HeldExchange::SendBody(std::string_view data) {
  if (*tail_started_ || ended_) {
    held_.append(data);
    return true;
  }
  return inner_ == nullptr || inner_->SendBody(data);
}

void HeldExchange::End() { ended_ = true; }

void HeldExchange::Reply(int status, const net::HeaderList& headers, std::string_view body) {
  ended_ = true;
  if (inner_ == nullptr) return;
  // A client needs a whole reply before it can use any of it, so holding all of a small one
  // delays nothing; it goes out in one write on release, where sending all but its last byte
  // at once cost a second write and a second wake-up of the client per request. A large
  // reply still streams out but for its last byte.
  //
  // The head goes to the connection at once: one whose length is known waits there, unsent,
  // for the body's first bytes (net/server_exchange.cc), so holding the body holds the whole
  // reply, and the reply's fields need no copy here.
  inner_->SendHead(status, headers, body.size());
  if (body.size() <= kHoldWholeReplyBytes) {
    held_.assign(body);
    return;
  }
  inner_->SendBody(body.substr(0, body.size() - 1));
  held_.assign(body.substr(body.size() - 1));
}

void HeldExchange::Abort() {
  ended_ = false;
  held_.clear();
  if (inner_ == nullptr) return;
  net::ServerExchange* inner = inner_;
  inner_ = nullptr;
  inner->Abort();
}

void HeldExchange::OnWritable(net::ServerExchange&) {
  if (observer_ != nullptr) observer_->OnWritable(*this);
}

void HeldExchange::OnAborted(net::ServerExchange&) {
  // From here nothing may act on the inner exchange (not even a Release from inside the
  // observer); its request stays readable through request_ until this returns.
  inner_ = nullptr;
  held_.clear();
  if (observer_ != nullptr) observer_->OnAborted(*this);
}

void HeldExchange::Release(bool deliver) {
  if (inner_ == nullptr) return;
  net::ServerExchange* inner = inner_;
  inner_ = nullptr;
  if (!deliver || !ended_) {
    inner->Abort();
    return;
  }
  inner->EndWith(held_);
  held_.clear();
}

}  // namespace edge::pipeline
