#include "node/net/upstream_connection.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

namespace edge::net {
namespace {

// Headers whose values the client decides: framing, connection management and the target.
bool ClientOwnedHeader(std::string_view name) {
  switch (name.size()) {
    case 2:
      return EqualsIgnoreCase(name, "te");
    case 4:
      return EqualsIgnoreCase(name, "host");
    case 7:
      return EqualsIgnoreCase(name, "upgrade");
    default:
      return IsFramingHeader(name);
  }
}

// A request target is visible ASCII without spaces (RFC 9112 origin-form).
bool IsValidTarget(std::string_view path) {
  bool bad = false;
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    bad |= (c <= ' ') | (c >= 0x7f);
  }
  return !bad;
}

}  // namespace

OriginInfo MakeOriginInfo(const Origin& origin) {
  OriginInfo info;
  info.origin = origin;
  if (!origin.https) info.origin.tls = nullptr;
  info.literal = ParseIpLiteral(origin.host, origin.port, &info.literal_addr);
  bool v6 = info.literal && info.literal_addr.ss_family == AF_INET6;
  std::string host = v6 ? "[" + origin.host + "]" : origin.host;
  info.authority = host + ":" + std::to_string(origin.port);
  bool default_port = origin.port == (origin.https ? 443 : 80);
  info.host_header = default_port ? host : info.authority;
  return info;
}

Status ValidateRequest(const UpstreamRequest& request) {
  if (!IsValidFieldName(request.method)) {  // a method is a token too
    return InvalidArgument("invalid upstream request method");
  }
  if (!request.path.empty() && (request.path.front() != '/' || !IsValidTarget(request.path))) {
    return InvalidArgument("invalid upstream request path \"" + request.path + "\"");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsValidFieldName(name) || !IsValidFieldValue(value)) {
      return InvalidArgument("invalid upstream request header \"" + name + "\"");
    }
  }
  return Status::Ok();
}

void SerializeHead(const OriginInfo& origin, const UpstreamRequest& request, std::string* out) {
  constexpr std::string_view kVersionAndHost = " HTTP/1.1\r\nHost: ";
  constexpr std::string_view kLength = "Content-Length: ";
  // The longest head these fields make: the fixed pieces, 20 digits of length, three CRLFs.
  size_t most = request.method.size() + 1 + std::max<size_t>(request.path.size(), 1) +
                kVersionAndHost.size() + origin.host_header.size() + kLength.size() + 20 + 6;
  for (const auto& [name, value] : request.headers) most += name.size() + value.size() + 4;
  const size_t at = out->size();
  out->resize(at + most);
  char* const start = out->data();
  char* p = PutBytes(start + at, request.method);
  *p++ = ' ';
  p = PutBytes(p, request.path.empty() ? std::string_view("/") : std::string_view(request.path));
  p = PutBytes(p, kVersionAndHost);
  p = PutBytes(p, origin.host_header);
  p = PutBytes(p, "\r\n");
  for (const auto& [name, value] : request.headers) {
    if (ClientOwnedHeader(name)) continue;
    p = PutBytes(p, name);
    p = PutBytes(p, ": ");
    p = PutBytes(p, value);
    p = PutBytes(p, "\r\n");
  }
  // Bodiless methods send no Content-Length unless they carry a body after all.
  bool bodiless = request.method == "GET" || request.method == "HEAD" ||
                  request.method == "DELETE" || request.method == "OPTIONS";
  if (!request.body.empty() || !bodiless) {
    p = PutBytes(p, kLength);
    p = std::to_chars(p, p + 20, request.body.size()).ptr;
    p = PutBytes(p, "\r\n");
  }
  p = PutBytes(p, "\r\n");
  out->resize(static_cast<size_t>(p - start));
}

UpstreamConnection::UpstreamConnection(uv_loop_t* loop, const OriginInfo* origin,
                                       ConnectionOwner* owner, void* pool)
    : loop_(loop), origin_(origin), owner_(owner), pool_(pool) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

void UpstreamConnection::Open(DnsCache* dns, ConnectionUser* user) {
  user_ = user;
  state_ = State::kResolving;
  if (origin_->literal) {
    addresses_.assign(1, origin_->literal_addr);
    ConnectNext();
    return;
  }
  if (const AddressList* cached = dns->Lookup(origin_->origin.host)) {
    OnResolved(Status::Ok(), *cached);
    return;
  }
  Status started = dns->Resolve(origin_->origin.host, this);
  if (!started.ok()) {
    FailSoon(std::move(started));
    return;
  }
  dns_ = dns;
}

void UpstreamConnection::OnResolved(const Status& status, const AddressList& addresses) {
  dns_ = nullptr;
  if (state_ != State::kResolving) return;
  if (!status.ok()) {
    FailConnect(status);
    return;
  }
  addresses_ = addresses;
  for (auto& a : addresses_) SetPort(&a, origin_->origin.port);
  ConnectNext();
}

void UpstreamConnection::ConnectNext() {
  state_ = State::kConnecting;
  connect_error_ = Status::Ok();
  while (next_address_ < addresses_.size()) {
    const auto* addr = reinterpret_cast<const sockaddr*>(&addresses_[next_address_++]);
    transport_ =
        StreamTransport::Connect(loop_, addr, origin_->origin.tls, origin_->origin.host, this);
    if (transport_ != nullptr) return;
  }
  FailSoon(Unavailable("cannot reach " + origin_->authority + ": no usable address"));
}

void UpstreamConnection::OnConnected(StreamTransport& t) {
  if (state_ != State::kConnecting) return;
  state_ = State::kReady;
  user_->OnConnected(*this);
}

void UpstreamConnection::Send(const UpstreamRequest& request, ConnectionUser* user) {
  user_ = user;
  state_ = State::kActive;
  bytes_received_ = 0;
  parser_.Reset(this, request.method == "HEAD");
  write_buf_.clear();
  SerializeHead(*origin_, request, &write_buf_);
  // One syscall for head and body, and the body is not copied unless the kernel leaves some
  // of it. Never drops data; false only asks to slow down, and a request is written whole.
  std::string_view parts[2] = {write_buf_, request.body};
  (void)transport_->Writev(parts, request.body.empty() ? 1 : 2);
  if (write_buf_.capacity() > 64 * 1024) std::string().swap(write_buf_);  // huge head: let go
}

// The idle timer is lazy (as Exchange::Arm): Unpark leaves it running and Park starts it only
// when it is not, so a connection parked and taken again request after request does not move
// it in libuv's heap twice a request; OnTimer drops the connection only if it has been parked
// for the whole timeout, and otherwise waits for the rest.
void UpstreamConnection::Park(uint32_t idle_timeout_ms) {
  state_ = State::kIdle;
  user_ = nullptr;
  transport_->ResumeReading();  // to notice the peer closing while parked
  idle_until_ = idle_timeout_ms > 0 ? uv_now(loop_) + idle_timeout_ms : 0;
  if (idle_timeout_ms > 0 && !uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_timer_start(&timer_, &UpstreamConnection::OnTimer, idle_timeout_ms, 0);
  }
}

void UpstreamConnection::Unpark() { state_ = State::kReady; }

void UpstreamConnection::PauseReading() {
  if (transport_ != nullptr && state_ == State::kActive) transport_->PauseReading();
}

void UpstreamConnection::ResumeReading() {
  if (transport_ != nullptr && state_ == State::kActive) transport_->ResumeReading();
}

void UpstreamConnection::OnData(StreamTransport& t, std::string_view data) {
  if (state_ == State::kIdle) {
    DropIdle();  // a response to nothing: the connection's state is unknown
    return;
  }
  if (state_ != State::kActive) return;
  bytes_received_ += data.size();
  Status parsed = parser_.Feed(data);
  if (state_ != State::kActive) return;  // the user let go from a callback
  if (!parsed.ok()) {
    FailExchange(
        Unavailable("malformed response from " + origin_->authority + ": " + parsed.message()));
    return;
  }
  if (parser_.complete()) CompleteExchange();
}

void UpstreamConnection::OnEof(StreamTransport& t) {
  switch (state_) {
    case State::kIdle:
      DropIdle();
      return;
    case State::kConnecting:
      connect_error_ = Unavailable("connection closed by peer during the handshake");
      transport_->Close();
      return;
    case State::kActive:
      break;
    default:
      transport_->Close();
      return;
  }
  eof_ = true;
  if (bytes_received_ == 0) {
    FailExchange(Unavailable(origin_->authority + " closed the connection before responding"));
    return;
  }
  Status finished = parser_.Finish();
  if (state_ != State::kActive) return;
  if (finished.ok() && parser_.complete()) {
    CompleteExchange();  // close-delimited: never reusable, the user closes it
    return;
  }
  FailExchange(Unavailable(origin_->authority + " closed the connection before the response " +
                           "was complete"));
}

void UpstreamConnection::OnClosed(StreamTransport& t, const Status& why) {
  if (&t != transport_) return;
  transport_ = nullptr;
  State was = state_;
  state_ = State::kClosing;
  if (was == State::kConnecting) {
    if (!why.ok()) connect_error_ = why;
    if (next_address_ < addresses_.size()) {
      ConnectNext();  // the next address may answer
      return;
    }
    // The transport's message names the address tried and the cause (refused, TLS, ...).
    std::string cause = connect_error_.ok() ? "connection closed" : connect_error_.message();
    FailConnect(Unavailable("cannot reach " + origin_->authority + ": " + cause));
    return;
  }
  ConnectionUser* user = user_;
  user_ = nullptr;
  if ((was == State::kActive || was == State::kReady) && user != nullptr) {
    std::string cause = why.ok() ? "connection closed" : why.message();
    user->OnFailed(*this, Unavailable("connection to " + origin_->authority + " failed: " + cause),
                   true, bytes_received_ == 0);
  } else if (was == State::kIdle) {
    owner_->OnIdleLost(*this);
  }
  FinishClose();
}

bool UpstreamConnection::OnHead(int status, const HeaderList& headers) {
  return user_ != nullptr && user_->OnHead(status, headers);
}

bool UpstreamConnection::OnBody(std::string_view data) {
  return user_ != nullptr && user_->OnBody(data);
}

bool UpstreamConnection::OnLastBody(std::string_view data) {
  return user_ != nullptr && user_->OnLastBody(data);
}

void UpstreamConnection::CompleteExchange() {
  ConnectionUser* user = user_;
  user_ = nullptr;
  state_ = State::kReady;
  ++exchanges_;
  bool reusable = parser_.keep_alive() && !eof_ && transport_ != nullptr && !transport_->closing();
  // The user may Send() on this very connection from here; nothing runs after it.
  user->OnComplete(*this, reusable);
}

void UpstreamConnection::FailSoon(Status why) {
  // Failures found inside Open() reach the user on a later turn, like every other outcome.
  deferred_ = std::move(why);
  state_ = State::kResolving;
  uv_timer_start(&timer_, &UpstreamConnection::OnTimer, 0, 0);
}

void UpstreamConnection::FailConnect(const Status& why) {
  ConnectionUser* user = user_;
  user_ = nullptr;
  state_ = State::kClosing;
  if (user != nullptr) user->OnFailed(*this, why, false, true);
  if (transport_ != nullptr) {
    transport_->Close();  // FinishClose() runs from OnClosed
  } else {
    FinishClose();
  }
}

void UpstreamConnection::FailExchange(const Status& why) {
  ConnectionUser* user = user_;
  user_ = nullptr;
  state_ = State::kClosing;
  transport_->Close();
  if (user != nullptr) user->OnFailed(*this, why, true, bytes_received_ == 0);
}

void UpstreamConnection::DropIdle() {
  state_ = State::kClosing;
  uv_timer_stop(&timer_);
  owner_->OnIdleLost(*this);
  if (transport_ != nullptr) transport_->Close();
}

void UpstreamConnection::Close() {
  if (state_ == State::kClosing) return;
  state_ = State::kClosing;
  user_ = nullptr;
  if (dns_ != nullptr) {
    dns_->Cancel(this);
    dns_ = nullptr;
  }
  uv_timer_stop(&timer_);
  if (transport_ != nullptr) {
    transport_->Close();  // FinishClose() runs from OnClosed
  } else {
    FinishClose();
  }
}

void UpstreamConnection::FinishClose() {
  if (timer_closing_ || transport_ != nullptr) return;
  timer_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &UpstreamConnection::OnTimerClosed);
}

void UpstreamConnection::OnTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<UpstreamConnection*>(timer->data);
  if (self->state_ == State::kIdle) {
    if (self->idle_until_ == 0) return;  // parked without a timeout since it was armed
    const uint64_t now = uv_now(self->loop_);
    if (now >= self->idle_until_) {
      self->DropIdle();  // idle timeout
    } else {
      uv_timer_start(&self->timer_, &UpstreamConnection::OnTimer, self->idle_until_ - now, 0);
    }
  } else if (self->state_ == State::kResolving && !self->deferred_.ok()) {
    self->FailConnect(self->deferred_);
  }
}

void UpstreamConnection::OnTimerClosed(uv_handle_t* handle) noexcept {
  auto* self = static_cast<UpstreamConnection*>(handle->data);
  self->owner_->OnConnectionClosed(*self);
  delete self;
}

}  // namespace edge::net
