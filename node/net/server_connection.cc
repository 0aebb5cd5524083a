// ServerConnection: input, timeouts and lifecycle. The response side is server_exchange.cc.

#include "node/net/server_connection.h"

#include <algorithm>
#include <limits>

#include "node/net/request_id.h"

namespace edge::net {

namespace {

// Pipelined input held while a response is in progress; past this we stop reading (and so
// stop noticing a disconnect early) rather than buffer without bound.
constexpr size_t kMaxLeftover = 128 * 1024;
constexpr size_t kKeepLeftoverCapacity = 16 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

void ServerCore::Add(ServerConnection* c) {
  c->prev = nullptr;
  c->next = connections;
  if (connections != nullptr) connections->prev = c;
  connections = c;
  ++count;
}

void ServerCore::Remove(ServerConnection* c) {
  if (c->prev != nullptr) c->prev->next = c->next;
  if (c->next != nullptr) c->next->prev = c->prev;
  if (connections == c) connections = c->next;
  c->prev = c->next = nullptr;
  --count;
  if (balancer != nullptr) balancer->Closed(balancer_slot);
  MaybeDrained();
}

void ServerCore::MaybeDrained() {
  if (!shutting_down || listener_open || count != 0 || !on_drained) return;
  std::function<void()> done = std::move(on_drained);
  on_drained = nullptr;
  done();  // may destroy the server (and this core)
}

ServerConnection::ServerConnection(ServerCore* core)
    : core_(core), parser_(core->parser_limits), request_id_(kRequestIdLength, '0') {}

bool ServerConnection::Accept(uv_stream_t* listener, ServerCore* core) {
  auto* c = new ServerConnection(core);
  StreamTransport* t = StreamTransport::Accept(listener, core->options.tls, c);
  if (t == nullptr) {
    delete c;  // never started: it has no handle of its own yet
    return false;
  }
  c->Start(t);
  return true;
}

bool ServerConnection::Adopt(uv_loop_t* loop, int fd, ServerCore* core) {
  auto* c = new ServerConnection(core);
  StreamTransport* t = StreamTransport::Adopt(loop, fd, core->options.tls, c);
  if (t == nullptr) {
    delete c;
    return false;
  }
  c->Start(t);
  return true;
}

// Takes the accepted transport and starts the first request's clock.
void ServerConnection::Start(StreamTransport* transport) {
  transport_ = transport;
  transport_->SetWaterMarks(core_->options.limits.max_client_buffer_bytes / 2,
                            core_->options.limits.max_client_buffer_bytes);
  uv_timer_init(transport_->loop(), &timer_);
  timer_.data = this;
  core_->Add(this);
  // A new connection owes its first request as promptly as a started one owes its headers.
  deadline_ms_ = uv_now(transport_->loop()) + core_->options.limits.header_timeout_ms;
  ArmTimer(deadline_ms_);
}

const std::string& ServerConnection::peer_ip() const {
  static const std::string kNone;
  return transport_ != nullptr ? transport_->peer_ip() : kNone;
}

const sockaddr_in6& ServerConnection::peer_addr() const {
  static const sockaddr_in6 kNone{};
  return transport_ != nullptr ? transport_->peer_addr() : kNone;
}

void ServerConnection::OnData(StreamTransport& t, std::string_view data) {
  switch (phase_) {
    case Phase::kClosing:
      return;
    case Phase::kHandling:
      leftover_.append(data);
      if (leftover_.size() > kMaxLeftover && !reading_paused_) {
        reading_paused_ = true;
        t.PauseReading();
      }
      return;
    case Phase::kIdle:
    case Phase::kReading:
      if (leftover_.empty()) {
        ProcessInput(data);
      } else {  // older pipelined bytes go first
        leftover_.append(data);
        ProcessLeftover();
      }
      return;
  }
}

void ServerConnection::ProcessLeftover() {
  resume_pending_ = false;
  std::string input;
  input.swap(leftover_);  // ProcessInput appends what it does not use to leftover_
  ProcessInput(input);
  if (leftover_.empty() && input.capacity() <= kKeepLeftoverCapacity) {
    input.clear();
    leftover_.swap(input);  // keep the buffer
  }
  if (reading_paused_ && phase_ != Phase::kHandling && phase_ != Phase::kClosing &&
      transport_ != nullptr) {
    reading_paused_ = false;
    transport_->ResumeReading();
  }
}

void ServerConnection::ProcessInput(std::string_view data) {
  in_parse_ = true;
  while (!data.empty() && (phase_ == Phase::kIdle || phase_ == Phase::kReading)) {
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kReading;
      deadline_ms_ = uv_now(transport_->loop()) + core_->options.limits.header_timeout_ms;
    }
    size_t used = 0;
    RequestParser::Outcome outcome = parser_.Execute(data, &used);
    data.remove_prefix(used);
    if (outcome == RequestParser::Outcome::kError) {
      SendError(parser_.error_status(), parser_.error_message());
      break;
    }
    if (outcome == RequestParser::Outcome::kNeedMore) {
      MaybeSendContinue();
      ArmTimer(deadline_ms_);
      break;
    }
    Dispatch();  // the handler may answer at once, and then the loop goes on
  }
  if (!data.empty() && phase_ == Phase::kHandling) leftover_.append(data);
  in_parse_ = false;
}

void ServerConnection::MaybeSendContinue() {
  if (continue_sent_ || !parser_.expect_continue()) return;
  continue_sent_ = true;
  transport_->Write(kContinue);
}

void ServerConnection::Dispatch() {
  phase_ = Phase::kHandling;
  observer_ = nullptr;
  head_started_ = head_pending_ = has_length_ = chunked_ = close_delimited_ = no_body_ = false;
  writable_wanted_ = false;
  body_remaining_ = 0;
  keep_alive_ = parser_.request().keep_alive && !parser_.upgrade() && !core_->shutting_down;
  FillRequestId(request_id_.data());
  core_->handler->OnRequest(*this);
}

// The response ended and the connection stays: on to the next request.
void ServerConnection::ResponseDone() {
  phase_ = Phase::kIdle;
  observer_ = nullptr;
  continue_sent_ = false;
  parser_.Next();
  deadline_ms_ = uv_now(transport_->loop()) + core_->options.limits.idle_timeout_ms;
  ArmTimer(deadline_ms_);
  HeadBuffers::Give(std::move(head_buf_));
  head_buf_ = std::string();
  if (leftover_.empty()) {
    if (leftover_.capacity() > kKeepLeftoverCapacity) std::string().swap(leftover_);
    if (reading_paused_) {
      reading_paused_ = false;
      transport_->ResumeReading();
    }
  } else if (!in_parse_) {
    // Not from inside the handler's own call chain: the next request starts on a later
    // loop turn, so the handler never sees OnRequest re-entered from its End().
    resume_pending_ = true;
    ArmTimer(uv_now(transport_->loop()));
  }
}

void ServerConnection::OnEof(StreamTransport& t) {
  // Like nginx, a client that half-closes while its request is handled has gone away:
  // streaming on would only cost upstream tokens nobody reads.
  if (phase_ == Phase::kHandling) {
    AbortExchange();
    CloseNow();
    return;
  }
  phase_ = Phase::kClosing;
  t.CloseAfterFlush();  // a finished response may still be on its way out
}

void ServerConnection::OnWriteDrained(StreamTransport&) {
  if (phase_ != Phase::kHandling || !writable_wanted_ || observer_ == nullptr) return;
  writable_wanted_ = false;
  observer_->OnWritable(*this);
}

void ServerConnection::AbortExchange() {
  if (phase_ != Phase::kHandling) return;
  phase_ = Phase::kClosing;
  ExchangeObserver* observer = observer_;
  observer_ = nullptr;
  if (observer != nullptr) observer->OnAborted(*this);
}

void ServerConnection::CloseNow() {
  if (phase_ != Phase::kHandling) phase_ = Phase::kClosing;
  if (transport_ != nullptr) transport_->Close();
}

void ServerConnection::BeginShutdown() {
  switch (phase_) {
    case Phase::kIdle:
      phase_ = Phase::kClosing;
      transport_->CloseAfterFlush();
      return;
    case Phase::kHandling:
      keep_alive_ = false;  // applies to a head not yet sent, and to what follows End()
      return;
    case Phase::kReading:  // finishes reading; Dispatch() sees shutting_down
    case Phase::kClosing:
      return;
  }
}

void ServerConnection::ForceClose() {
  AbortExchange();
  CloseNow();
}

void ServerConnection::OnClosed(StreamTransport&, const Status&) {
  AbortExchange();  // a reset or write failure while the handler still held the exchange
  phase_ = Phase::kClosing;
  transport_ = nullptr;
  if (core_ != nullptr) core_->Remove(this);  // last use of core_: it may be gone after
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnTimerClosed);
}

void ServerConnection::OnTimerClosed(uv_handle_t* handle) noexcept {
  delete static_cast<ServerConnection*>(handle->data);
}

void ServerConnection::ArmTimer(uint64_t deadline_ms) {
  if (transport_ == nullptr) return;
  if (timer_due_ms_ != 0 && timer_due_ms_ <= deadline_ms) return;  // it re-checks when it fires
  uint64_t now = uv_now(transport_->loop());
  timer_due_ms_ = std::max(deadline_ms, now);
  uv_timer_start(&timer_, OnTimer, timer_due_ms_ - now, 0);
}

void ServerConnection::OnTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<ServerConnection*>(timer->data);
  self->timer_due_ms_ = 0;
  // A stream's head waits for nothing once its loop turn is over (server_exchange.cc).
  if (self->head_pending_ && !self->has_length_ && !self->no_body_) self->FlushPendingHead();
  if (self->resume_pending_ && self->phase_ != Phase::kClosing) self->ProcessLeftover();
  self->CheckTimers();
}

void ServerConnection::CheckTimers() {
  if (transport_ == nullptr || core_ == nullptr) return;
  const ServerLimits& limits = core_->options.limits;
  uint64_t now = uv_now(transport_->loop());
  uint64_t next = std::numeric_limits<uint64_t>::max();
  if (transport_->buffered() > 0) {
    // The client does not take our bytes: give up on it (and its exchange).
    uint64_t stalled_until = transport_->last_write_progress_ms() + limits.write_timeout_ms;
    if (now >= stalled_until) {
      AbortExchange();
      CloseNow();
      return;
    }
    next = stalled_until;
  }
  if (phase_ == Phase::kIdle || phase_ == Phase::kReading) {
    if (now >= deadline_ms_) {  // idle keep-alive, or a request that arrives too slowly
      CloseNow();
      return;
    }
    next = std::min(next, deadline_ms_);
  }
  if (next != std::numeric_limits<uint64_t>::max()) ArmTimer(next);
}

}  // namespace edge::net
