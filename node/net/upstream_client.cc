// The upstream client: an Exchange per request, pools of UpstreamConnections per origin.
//
// An exchange takes the origin's most recently parked connection, or opens one when the
// origin has a free slot, or waits in the origin's FIFO queue. A connection freed by a
// completed exchange goes to the first waiter before it is parked. A parked connection that
// fails before any byte of the next response arrived is replaced by a fresh one, once.
//
// Lifetimes: the caller's UpstreamCall is a handle on the Exchange; the Exchange owns a
// timer and frees itself only when both the handle is gone and its timer has closed, so
// neither a handler that destroys its call mid-callback nor a late timer touches freed memory.

#include "node/net/upstream_client.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "node/net/dns_cache.h"
#include "node/net/upstream_connection.h"
#include "node/net/upstream_pool.h"

namespace edge::net {
namespace {

class ClientImpl;
class Exchange;

struct Pool {
  OriginInfo info;
  OriginPool<UpstreamConnection, Exchange> slots;
};

// Pools are keyed by what makes connections interchangeable; the TLS context by identity.
struct PoolKey {
  bool https;
  std::string host;
  uint16_t port;
  const TlsClientContext* tls;
};
struct PoolKeyView {
  bool https;
  std::string_view host;
  uint16_t port;
  const TlsClientContext* tls;
};
struct PoolKeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    // Both sides as the same tuple type: a key (std::string host) meets a view.
    return std::make_tuple(a.https, a.port, a.tls, std::string_view(a.host)) <
           std::make_tuple(b.https, b.port, b.tls, std::string_view(b.host));
  }
};

class Exchange final : public ConnectionUser {
 public:
  Exchange(ClientImpl* client, Pool* pool, UpstreamRequest request, UpstreamHandler* handler);

  // Called once by Start(): validation, the total deadline, a connection or a place in line.
  void Begin(Status invalid);
  // A parked or just-completed connection for this exchange: send at once.
  void UseConnection(UpstreamConnection* c);
  // A fresh connection is being opened for this exchange.
  void Connecting(UpstreamConnection* c);
  void Fail(const Status& why);
  void Cancel();
  void Pause();
  void Resume();
  // The caller's UpstreamCall is gone.
  void HandleGone();

  Pool* pool() const { return pool_; }
  bool sent() const { return phase_ == Phase::kSent || phase_ == Phase::kBody; }
  Exchange* next = nullptr;  // the client's list of exchanges in flight
  Exchange* prev = nullptr;

 private:
  enum class Phase { kWaiting, kConnecting, kSent, kBody, kDone };
  ~Exchange() override = default;

  // ConnectionUser
  void OnConnected(UpstreamConnection& c) override;
  bool OnHead(int status, const HeaderList& headers) override;
  bool OnBody(std::string_view data) override;
  bool OnLastBody(std::string_view data) override;
  void OnComplete(UpstreamConnection& c, bool reusable) override;
  void OnFailed(UpstreamConnection& c, const Status& why, bool connected,
                bool nothing_received) override;

  // Ends the exchange without telling the handler; false if it had ended already.
  bool End();
  void SetPhase(Phase phase, uint32_t timeout_ms);
  void Arm();
  static void OnTimer(uv_timer_t* timer) noexcept;
  static void OnTimerClosed(uv_handle_t* handle) noexcept;

  ClientImpl* client_;
  Pool* pool_;
  UpstreamRequest request_;
  UpstreamHandler* handler_;
  UpstreamConnection* conn_ = nullptr;
  uv_timer_t timer_{};
  Phase phase_ = Phase::kWaiting;
  uint64_t total_deadline_ = 0;  // loop ms; 0 = none
  uint64_t phase_deadline_ = 0;  // connect or first byte; 0 = none
  uint64_t armed_due_ = 0;       // loop ms the timer fires at; 0 = not armed
  Status pending_;               // a failure found in Begin(), delivered from the timer
  bool head_received_ = false;
  bool retried_ = false;
  bool paused_ = false;
  bool handle_alive_ = true;
  bool timer_closed_ = false;
};

class CallHandle final : public UpstreamCall {
 public:
  explicit CallHandle(Exchange* exchange) : exchange_(exchange) {}
  ~CallHandle() override { exchange_->HandleGone(); }
  void Cancel() override { exchange_->Cancel(); }
  bool sent() const override { return exchange_->sent(); }
  void PauseBody() override { exchange_->Pause(); }
  void ResumeBody() override { exchange_->Resume(); }

 private:
  Exchange* exchange_;
};

class ClientImpl final : public UpstreamClient, public ConnectionOwner {
 public:
  ClientImpl(uv_loop_t* loop, PoolOptions options)
      : loop_(loop), options_(options), dns_(loop, options.dns_cache_ttl_ms) {}
  ~ClientImpl() override {
    assert(live_.empty() && timers_ == 0 && "UpstreamClient destroyed before Close() finished");
  }

  std::unique_ptr<UpstreamCall> Start(UpstreamRequest request, UpstreamHandler* handler) override;
  void Close(std::function<void()> on_closed) override;
  uint64_t connections_opened() const override { return opened_; }
  size_t idle_connections() const override { return idle_; }

  uv_loop_t* loop() const { return loop_; }
  // Gives the exchange a parked connection, a new one, or a place in its origin's queue.
  void Acquire(Exchange* ex);
  // Opens a connection for ex; `force` ignores the origin's limit (a retry replaces a
  // connection that is still closing).
  void OpenFor(Exchange* ex, bool force);
  // A connection whose exchange completed: to a waiter, to the idle set, or closed.
  void Release(UpstreamConnection* c, bool reusable);
  void Link(Exchange* ex);
  void Unlink(Exchange* ex);
  void TimerClosed() {
    --timers_;
    MaybeClosed();
  }

  // ConnectionOwner
  void OnIdleLost(UpstreamConnection& c) override;
  void OnConnectionClosed(UpstreamConnection& c) override;

 private:
  Pool* FindPool(const Origin& origin);
  void MaybeClosed();

  uv_loop_t* loop_;
  PoolOptions options_;
  DnsCache dns_;
  std::map<PoolKey, std::unique_ptr<Pool>, PoolKeyLess> pools_;
  std::unordered_set<UpstreamConnection*> live_;  // every connection not yet freed
  Exchange* exchanges_ = nullptr;                 // in flight, for Close()
  size_t timers_ = 0;                             // exchange timers not yet closed
  uint64_t opened_ = 0;
  size_t idle_ = 0;
  bool closing_ = false;
  bool dns_idle_ = false;
  std::function<void()> on_closed_;
};

// ---- Exchange ----

Exchange::Exchange(ClientImpl* client, Pool* pool, UpstreamRequest request,
                   UpstreamHandler* handler)
    : client_(client), pool_(pool), request_(std::move(request)), handler_(handler) {
  uv_timer_init(client_->loop(), &timer_);
  timer_.data = this;
}

void Exchange::Begin(Status invalid) {
  client_->Link(this);
  if (!invalid.ok()) {
    pending_ = std::move(invalid);
    armed_due_ = uv_now(client_->loop());
    uv_timer_start(&timer_, &Exchange::OnTimer, 0, 0);  // the handler hears after Start()
    return;
  }
  if (request_.timeouts.total_ms > 0) {
    total_deadline_ = uv_now(client_->loop()) + request_.timeouts.total_ms;
  }
  client_->Acquire(this);
  if (phase_ == Phase::kWaiting) SetPhase(Phase::kWaiting, 0);
}

void Exchange::Connecting(UpstreamConnection* c) {
  conn_ = c;
  SetPhase(Phase::kConnecting, request_.timeouts.connect_ms);
}

void Exchange::UseConnection(UpstreamConnection* c) {
  conn_ = c;
  SetPhase(Phase::kSent, request_.timeouts.first_byte_ms);
  c->Send(request_, this);
  if (paused_) c->PauseReading();
}

void Exchange::OnConnected(UpstreamConnection& c) { UseConnection(&c); }

bool Exchange::OnHead(int status, const HeaderList& headers) {
  head_received_ = true;
  SetPhase(Phase::kBody, 0);
  handler_->OnResponseHead(status, headers);
  return phase_ != Phase::kDone;
}

bool Exchange::OnBody(std::string_view data) {
  handler_->OnResponseBody(data);
  return phase_ != Phase::kDone;
}

bool Exchange::OnLastBody(std::string_view data) {
  handler_->OnResponseLastBody(data);
  return phase_ != Phase::kDone;
}

void Exchange::OnComplete(UpstreamConnection& c, bool reusable) {
  conn_ = nullptr;
  // The connection goes back first, so that a request the handler starts from its callback
  // finds it parked.
  client_->Release(&c, reusable);
  if (End()) handler_->OnResponseComplete();
}

void Exchange::OnFailed(UpstreamConnection& c, const Status& why, bool connected,
                        bool nothing_received) {
  conn_ = nullptr;
  if (connected && nothing_received && c.reused() && !retried_ && !head_received_) {
    // The server most likely closed a connection it considered idle just as we reused it.
    retried_ = true;
    client_->OpenFor(this, /*force=*/true);
    return;
  }
  Fail(why);
}

bool Exchange::End() {
  if (phase_ == Phase::kDone) return false;
  if (phase_ == Phase::kWaiting) pool_->slots.RemoveWaiter(this);
  phase_ = Phase::kDone;
  if (conn_ != nullptr) {
    conn_->Close();  // mid-exchange: its state is unknown, never pooled
    conn_ = nullptr;
  }
  client_->Unlink(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &Exchange::OnTimerClosed);
  return true;
}

void Exchange::Fail(const Status& why) {
  if (End()) handler_->OnError(why, head_received_);
}

void Exchange::Cancel() { End(); }

void Exchange::Pause() {
  paused_ = true;
  if (conn_ != nullptr && phase_ != Phase::kConnecting) conn_->PauseReading();
}

void Exchange::Resume() {
  paused_ = false;
  if (conn_ != nullptr && phase_ != Phase::kConnecting) conn_->ResumeReading();
}

void Exchange::HandleGone() {
  handle_alive_ = false;
  End();
  if (timer_closed_) delete this;
}

void Exchange::SetPhase(Phase phase, uint32_t timeout_ms) {
  phase_ = phase;
  phase_deadline_ = timeout_ms > 0 ? uv_now(client_->loop()) + timeout_ms : 0;
  Arm();
}

// Lazy, as the server's ArmTimer and nginx's timers (NGX_TIMER_LAZY_DELAY): a timer armed to
// fire no later than the new deadline is left alone, since OnTimer re-checks the deadlines and
// re-arms for the real one. A request's phases (sent, then the body) each moved the timer in
// libuv's heap (~300 instructions a request), though it almost never fires.
void Exchange::Arm() {
  uint64_t next = total_deadline_;
  if (phase_deadline_ != 0 && (next == 0 || phase_deadline_ < next)) next = phase_deadline_;
  if (next == 0) return;                               // an armed timer finds nothing due
  if (armed_due_ != 0 && armed_due_ <= next) return;  // it fires first and re-arms
  uint64_t now = uv_now(client_->loop());
  armed_due_ = std::max(next, now);
  uv_timer_start(&timer_, &Exchange::OnTimer, armed_due_ - now, 0);
}

void Exchange::OnTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<Exchange*>(timer->data);
  self->armed_due_ = 0;
  const std::string& where = self->pool_->info.authority;
  if (!self->pending_.ok()) {
    self->Fail(self->pending_);
    return;
  }
  uint64_t now = uv_now(self->client_->loop());
  const UpstreamTimeouts& t = self->request_.timeouts;
  if (self->total_deadline_ != 0 && now >= self->total_deadline_) {
    self->Fail(DeadlineExceeded("request to " + where + " timed out after " +
                                std::to_string(t.total_ms) + " ms"));
  } else if (self->phase_deadline_ != 0 && now >= self->phase_deadline_) {
    if (self->phase_ == Phase::kConnecting) {
      self->Fail(DeadlineExceeded("connect to " + where + " timed out after " +
                                  std::to_string(t.connect_ms) + " ms"));
    } else {
      self->Fail(DeadlineExceeded("no response from " + where + " within " +
                                  std::to_string(t.first_byte_ms) + " ms"));
    }
  } else {
    self->Arm();
  }
}

void Exchange::OnTimerClosed(uv_handle_t* handle) noexcept {
  auto* self = static_cast<Exchange*>(handle->data);
  self->timer_closed_ = true;
  ClientImpl* client = self->client_;
  if (!self->handle_alive_) delete self;
  client->TimerClosed();
}

// ---- ClientImpl ----

std::unique_ptr<UpstreamCall> ClientImpl::Start(UpstreamRequest request, UpstreamHandler* handler) {
  Status invalid;
  if (closing_) {
    invalid = Cancelled("upstream client closed");
  } else if (request.origin.https && request.origin.tls == nullptr) {
    invalid = InvalidArgument("https origin " + request.origin.host + " has no TLS context");
  } else if (request.origin.host.empty() || request.origin.port == 0) {
    invalid = InvalidArgument("upstream origin needs a host and a port");
  } else {
    invalid = ValidateRequest(request);
  }
  Pool* pool = FindPool(request.origin);
  auto* ex = new Exchange(this, pool, std::move(request), handler);
  ++timers_;
  auto call = std::make_unique<CallHandle>(ex);
  ex->Begin(std::move(invalid));
  return call;
}

Pool* ClientImpl::FindPool(const Origin& origin) {
  const TlsClientContext* tls = origin.https ? origin.tls.get() : nullptr;
  PoolKeyView view{origin.https, origin.host, origin.port, tls};
  auto it = pools_.find(view);
  if (it != pools_.end()) return it->second.get();
  auto pool = std::make_unique<Pool>(
      Pool{MakeOriginInfo(origin), {options_.max_idle_per_origin, options_.max_total_per_origin}});
  Pool* raw = pool.get();
  pools_.emplace(PoolKey{origin.https, origin.host, origin.port, tls}, std::move(pool));
  return raw;
}

void ClientImpl::Acquire(Exchange* ex) {
  Pool* pool = ex->pool();
  while (UpstreamConnection* c = pool->slots.PopIdle()) {
    --idle_;
    if (!c->usable()) {
      c->Close();  // ended while parked; its slot frees when the close completes
      continue;
    }
    c->Unpark();
    ex->UseConnection(c);
    return;
  }
  if (pool->slots.CanOpen()) {
    OpenFor(ex, false);
  } else {
    pool->slots.Enqueue(ex);
  }
}

void ClientImpl::OpenFor(Exchange* ex, bool force) {
  Pool* pool = ex->pool();
  assert(force || pool->slots.CanOpen());
  (void)force;
  pool->slots.Opened();
  ++opened_;
  auto* c = new UpstreamConnection(loop_, &pool->info, this, pool);
  live_.insert(c);
  ex->Connecting(c);
  c->Open(&dns_, ex);
}

void ClientImpl::Release(UpstreamConnection* c, bool reusable) {
  auto* pool = static_cast<Pool*>(c->pool());
  if (!reusable || closing_) {
    c->Close();
  } else if (Exchange* waiter = pool->slots.PopWaiter()) {
    waiter->UseConnection(c);
  } else if (pool->slots.PushIdle(c)) {
    ++idle_;
    c->Park(options_.idle_timeout_ms);
  } else {
    c->Close();  // enough idle ones already
  }
}

void ClientImpl::OnIdleLost(UpstreamConnection& c) {
  auto* pool = static_cast<Pool*>(c.pool());
  if (pool->slots.RemoveIdle(&c)) --idle_;
}

void ClientImpl::OnConnectionClosed(UpstreamConnection& c) {
  auto* pool = static_cast<Pool*>(c.pool());
  pool->slots.Closed();
  live_.erase(&c);
  // A freed slot goes to the first request in line.
  while (!closing_ && pool->slots.waiting() > 0 && pool->slots.CanOpen()) {
    OpenFor(pool->slots.PopWaiter(), false);
  }
  MaybeClosed();
}

void ClientImpl::Link(Exchange* ex) {
  ex->next = exchanges_;
  ex->prev = nullptr;
  if (exchanges_ != nullptr) exchanges_->prev = ex;
  exchanges_ = ex;
}

void ClientImpl::Unlink(Exchange* ex) {
  if (ex->prev != nullptr) ex->prev->next = ex->next;
  if (ex->next != nullptr) ex->next->prev = ex->prev;
  if (exchanges_ == ex) exchanges_ = ex->next;
  ex->next = ex->prev = nullptr;
}

void ClientImpl::Close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  while (exchanges_ != nullptr) exchanges_->Fail(Cancelled("upstream client closed"));
  std::vector<UpstreamConnection*> open(live_.begin(), live_.end());
  for (UpstreamConnection* c : open) c->Close();
  dns_.Shutdown([this] {
    dns_idle_ = true;
    MaybeClosed();
  });
  MaybeClosed();
}

void ClientImpl::MaybeClosed() {
  if (!closing_ || !dns_idle_ || !live_.empty() || timers_ != 0 || !on_closed_) return;
  auto done = std::move(on_closed_);
  on_closed_ = nullptr;
  done();
}

}  // namespace

std::unique_ptr<UpstreamClient> UpstreamClient::Create(uv_loop_t* loop, PoolOptions options) {
  return std::make_unique<ClientImpl>(loop, options);
}

}  // namespace edge::net
