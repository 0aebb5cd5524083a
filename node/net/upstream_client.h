#pragma once

// The HTTP/1.1 client the node uses to reach providers. One UpstreamClient per worker loop:
// it keeps a keep-alive pool per origin, resolves names asynchronously with a short cache,
// speaks TLS through TlsSession, and enforces connect / first-byte / total timeouts.
// Everything runs on the loop's thread; nothing here is thread-safe.
//
// Pools: idle connections are reused most-recent first; at most max_total_per_origin are
// open or opening per origin, and further requests wait in FIFO order. A pooled connection
// that fails before any byte of its response arrived (the server dropped it as idle) is
// replaced by a fresh one once, transparently; failures of fresh connections are reported.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "node/net/http_types.h"
#include "node/net/tls.h"

namespace edge::net {

// Where a request goes: scheme, host and port. Pools are keyed by (scheme, host, port, tls
// context identity), so deployments with different ssl_verify never share a connection.
struct Origin {
  bool https = false;
  std::string host;  // name or IP literal (no brackets)
  uint16_t port = 0;
  std::shared_ptr<TlsClientContext> tls;  // required when https
};

// Splits "https://host:port/base/path" into the origin and the path prefix ("/base/path",
// no trailing slash). Errors name what is wrong with the URL.
struct ParsedUrl {
  Origin origin;
  std::string path;
};
Result<ParsedUrl> ParseUrl(std::string_view url);

// 0 disables a timeout. Failures are Code::kDeadlineExceeded, with messages
// "connect to host:port timed out after N ms", "no response from host:port within N ms",
// "request to host:port timed out after N ms".
struct UpstreamTimeouts {
  uint32_t connect_ms = 10000;      // DNS + TCP connect + TLS handshake, per connection opened
  uint32_t first_byte_ms = 600000;  // request handed to the socket -> response head
  uint32_t total_ms = 600000;       // Start() -> end, queueing and retry included
};

struct UpstreamRequest {
  Origin origin;
  std::string method = "POST";
  std::string path;  // "/v1/chat/completions"
  // Host, Content-Length and Connection are the client's: any given here are dropped (as
  // are Transfer-Encoding, Keep-Alive, Upgrade and TE). A CR, LF or NUL in a field fails the
  // request with kInvalidArgument.
  HeaderList headers;
  std::string body;
  UpstreamTimeouts timeouts;
};

// Receives one exchange's events, on the client's loop, never from inside Start(). Exactly
// one of OnComplete or OnError ends the exchange, unless the caller cancelled it first (then
// neither runs). A handler may destroy or cancel its UpstreamCall, and start new requests,
// from any of these callbacks.
class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  virtual void OnResponseHead(int status, const HeaderList& headers) = 0;
  // De-chunked body bytes, as they arrive. Valid only during the call.
  virtual void OnResponseBody(std::string_view data) = 0;
  // The body's last bytes, when they were read together with its end: OnResponseComplete
  // follows at once. (Otherwise the last bytes come as OnResponseBody.)
  virtual void OnResponseLastBody(std::string_view data) { OnResponseBody(data); }
  virtual void OnResponseComplete() = 0;
  // Connect/DNS/TLS failures, resets, malformed responses: Code::kUnavailable, the message
  // naming host:port and the cause ("malformed response from host:port: <llhttp reason>");
  // timeouts: Code::kDeadlineExceeded; an invalid request (bad header, https origin without
  // tls): kInvalidArgument; the client closing: kCancelled.
  // `head_received` says whether OnResponseHead ran.
  virtual void OnError(const Status& status, bool head_received) = 0;
};

// A request in flight. Destroying it (or Cancel) abandons the exchange: its connection is
// closed, never returned to the pool, and the handler hears nothing more.
class UpstreamCall {
 public:
  virtual ~UpstreamCall() = default;
  virtual void Cancel() = 0;
  // The request went out on a connection: from here on the provider may be working on it
  // (and billing it), whatever becomes of the call.
  virtual bool sent() const = 0;
  // Back-pressure: stop / restart reading the response from the socket. Bytes already read
  // when PauseBody() is called (the rest of the current read) are still delivered.
  virtual void PauseBody() = 0;
  virtual void ResumeBody() = 0;
};

struct PoolOptions {
  uint32_t max_idle_per_origin = 64;
  uint32_t max_total_per_origin = 1024;  // requests beyond it wait in a queue
  uint32_t idle_timeout_ms = 60000;
  uint32_t dns_cache_ttl_ms = 30000;
};

class UpstreamClient {
 public:
  static std::unique_ptr<UpstreamClient> Create(uv_loop_t* loop, PoolOptions options);
  virtual ~UpstreamClient() = default;

  // Starts a request. The handler must outlive the call (or cancel it first).
  virtual std::unique_ptr<UpstreamCall> Start(UpstreamRequest request,
                                              UpstreamHandler* handler) = 0;

  // Closes every connection and stops timers. Requests in flight end with OnError
  // (kCancelled) from inside Close(); requests started afterwards fail the same way.
  // `on_closed` runs once every handle is closed and DNS lookups have returned (at once,
  // from inside Close(), when nothing is open). Destroy the client only after that.
  virtual void Close(std::function<void()> on_closed) = 0;

  // Counters for tests and /metrics: connections ever opened (retries included), and
  // connections parked in the pools now.
  virtual uint64_t connections_opened() const = 0;
  virtual size_t idle_connections() const = 0;
};

}  // namespace edge::net
