#pragma once

// One connection to an upstream origin: resolves the name, connects (trying each address in
// turn, TLS through StreamTransport), writes requests and parses their responses, and waits
// in its pool between requests. It serves one request at a time for a ConnectionUser (the
// client's exchange) and reports pool events to a ConnectionOwner (the client).
// Internal to node/net; one loop.
//
// Lifetime: created by the owner, it frees itself in its last handle's close callback, right
// after ConnectionOwner::OnConnectionClosed(). Once Close() has been called (or a failure
// has been reported) its user hears nothing more.

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/net/dns_cache.h"
#include "node/net/http_types.h"
#include "node/net/response_parser.h"
#include "node/net/stream_transport.h"
#include "node/net/upstream_client.h"

namespace edge::net {

// What every connection to one origin shares; owned by the client's pool, outlives them.
struct OriginInfo {
  Origin origin;            // origin.tls is set only for https
  std::string authority;    // "host:port" or "[v6]:port", for messages
  std::string host_header;  // the Host value: host, plus ":port" unless the scheme's default
  bool literal = false;     // host is an IP address: no DNS
  sockaddr_storage literal_addr{};
};
OriginInfo MakeOriginInfo(const Origin& origin);

// Rejects what would corrupt the request's framing (CR/LF in a header, a bad path).
Status ValidateRequest(const UpstreamRequest& request);
// Appends the request line, Host, the caller's headers (minus those the client owns) and
// Content-Length: everything before the body.
void SerializeHead(const OriginInfo& origin, const UpstreamRequest& request, std::string* out);

class UpstreamConnection;

// The request a connection is serving.
class ConnectionUser {
 public:
  virtual ~ConnectionUser() = default;
  // TCP (and TLS) are up; the user sends its request now.
  virtual void OnConnected(UpstreamConnection& c) = 0;
  // The final response's head and body bytes. Returning false means the user let go.
  virtual bool OnHead(int status, const HeaderList& headers) = 0;
  virtual bool OnBody(std::string_view data) = 0;
  // The body's last bytes, read together with its end (ResponseParser::Listener::OnLastBody).
  virtual bool OnLastBody(std::string_view data) { return OnBody(data); }
  // The response ended; the connection no longer has a user. `reusable`: it may carry another
  // request. The user must Send() another request on it, Park() it or Close() it.
  virtual void OnComplete(UpstreamConnection& c, bool reusable) = 0;
  // The connection failed and is closing. `connected`: it had been connected (else DNS or
  // connect failed). `nothing_received`: not one byte of this request's response arrived.
  virtual void OnFailed(UpstreamConnection& c, const Status& why, bool connected,
                        bool nothing_received) = 0;
};

// The pool the connection belongs to.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // A parked connection is closing (EOF, unexpected bytes, error, idle timeout).
  virtual void OnIdleLost(UpstreamConnection& c) = 0;
  // Every handle is closed; the connection frees itself when this returns.
  virtual void OnConnectionClosed(UpstreamConnection& c) = 0;
};

class UpstreamConnection final : public TransportObserver,
                                 public DnsCache::Waiter,
                                 private ResponseParser::Listener {
 public:
  // `pool` is the owner's cookie, handed back through pool().
  UpstreamConnection(uv_loop_t* loop, const OriginInfo* origin, ConnectionOwner* owner, void* pool);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Resolves (cache or DNS; IP literals directly) and connects for `user`, who hears
  // OnConnected or OnFailed on a later loop turn.
  void Open(DnsCache* dns, ConnectionUser* user);
  // Writes the request; its response goes to `user`. Only on a connected, user-less one.
  void Send(const UpstreamRequest& request, ConnectionUser* user);
  // Waits for the next request: closes itself after idle_timeout_ms, or when the peer
  // closes or sends anything; the owner hears OnIdleLost then.
  void Park(uint32_t idle_timeout_ms);
  // Takes a parked connection back into use (before Send()).
  void Unpark();
  // Closes it now; the user hears nothing more. Idempotent.
  void Close();
  void PauseReading();
  void ResumeReading();

  // Completed at least one exchange: a failure before the next response byte may just mean
  // the server dropped a connection it considered idle.
  bool reused() const { return exchanges_ > 0; }
  bool closing() const { return state_ == State::kClosing; }
  // Parked and its transport still open: a read error or reset may have ended the transport
  // while the loop had not yet reported it.
  bool usable() const {
    return state_ == State::kIdle && transport_ != nullptr && !transport_->closing();
  }
  void* pool() const { return pool_; }
  const OriginInfo& origin() const { return *origin_; }

 private:
  enum class State { kNew, kResolving, kConnecting, kReady, kActive, kIdle, kClosing };

  ~UpstreamConnection() override = default;

  // TransportObserver
  void OnConnected(StreamTransport& t) override;
  void OnData(StreamTransport& t, std::string_view data) override;
  void OnEof(StreamTransport& t) override;
  void OnClosed(StreamTransport& t, const Status& why) override;
  // DnsCache::Waiter
  void OnResolved(const Status& status, const AddressList& addresses) override;
  // ResponseParser::Listener
  bool OnHead(int status, const HeaderList& headers) override;
  bool OnBody(std::string_view data) override;
  bool OnLastBody(std::string_view data) override;

  void ConnectNext();
  void FailSoon(Status why);
  void FailConnect(const Status& why);
  void FailExchange(const Status& why);
  void CompleteExchange();
  void DropIdle();
  void FinishClose();
  static void OnTimer(uv_timer_t* timer) noexcept;
  static void OnTimerClosed(uv_handle_t* handle) noexcept;

  uv_loop_t* loop_;
  const OriginInfo* origin_;
  ConnectionOwner* owner_;
  void* pool_;
  ConnectionUser* user_ = nullptr;
  DnsCache* dns_ = nullptr;  // set while waiting for a lookup
  StreamTransport* transport_ = nullptr;
  uv_timer_t timer_{};  // idle timeout, or a failure deferred to a later turn
  uint64_t idle_until_ = 0;  // loop ms a parked connection is dropped at; 0 = never
  State state_ = State::kNew;
  bool timer_closing_ = false;
  bool eof_ = false;  // the peer closed: never reusable
  AddressList addresses_;
  size_t next_address_ = 0;
  Status deferred_;       // failure FailSoon() delivers from the timer
  Status connect_error_;  // why the current connect attempt is being abandoned
  ResponseParser parser_;
  std::string write_buf_;  // reused across requests: no allocation once warm
  uint64_t bytes_received_ = 0;
  uint64_t exchanges_ = 0;
};

}  // namespace edge::net
