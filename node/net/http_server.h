#pragma once

// The client-facing HTTP/1.1 server on llhttp. One HttpServer per worker loop; every
// connection lives on the loop that accepted it. The server owns framing, limits and
// timeouts; handlers only see complete requests and a ServerExchange to answer on.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/net/http_types.h"
#include "node/net/tls.h"

namespace edge::net {

class ConnectionBalancer;
class ServerExchange;

// Told what happens to an exchange after the handler took it.
class ExchangeObserver {
 public:
  virtual ~ExchangeObserver() = default;
  // The client's buffer drained after SendBody() returned false: produce again.
  virtual void OnWritable(ServerExchange& ex) = 0;
  // The client went away (reset, timeout, shutdown deadline) before End(). The exchange is
  // invalid after this returns: do not touch it again.
  virtual void OnAborted(ServerExchange& ex) = 0;
};

// One request and its response. Owned by the connection; valid from OnRequest until the
// handler calls End() or until OnAborted returns.
class ServerExchange {
 public:
  virtual ~ServerExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // The id put in X-Edge-Request-Id; the server also uses it in its own error replies.
  virtual const std::string& request_id() const = 0;
  virtual const std::string& peer_ip() const = 0;
  // The socket peer's address (IPv4 as IPv4-mapped IPv6); all zero when unknown.
  virtual const sockaddr_in6& peer_addr() const = 0;

  // Starts the response. With content_length the body is sent as-is; without it the body
  // is chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0 ones. The server adds
  // Date-free framing headers (Content-Length / Transfer-Encoding / Connection) itself.
  // A head with a content_length is not written before the body's first bytes (or End()):
  // until then the client has nothing, and Abort() drops it (pipeline/held_exchange.h holds
  // a reply by holding its body).
  virtual void SendHead(int status, const HeaderList& headers,
                        std::optional<uint64_t> content_length) = 0;
  // Appends to the body. Returns false when the client holds more than the buffer limit:
  // stop producing (pause the upstream) until ExchangeObserver::OnWritable.
  virtual bool SendBody(std::string_view data) = 0;
  // Ends the response (last chunk). The exchange must not be used afterwards.
  virtual void End() = 0;
  // SendBody(last) (unless empty) then End(); a connection writes a stream's last chunk and
  // its end at once (one wake-up of the client).
  virtual void EndWith(std::string_view last) {
    if (!last.empty()) SendBody(last);
    End();
  }
  // Head, whole body, End() in one call.
  virtual void Reply(int status, const HeaderList& headers, std::string_view body) = 0;
  // Ends the response abnormally: the connection is closed after what was sent is flushed
  // (a chunked body is left unterminated so the client sees the break). Invalidates.
  virtual void Abort() = 0;

  virtual void SetObserver(ExchangeObserver* observer) = 0;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // A complete request. The handler answers now or later on `ex`, on this loop.
  virtual void OnRequest(ServerExchange& ex) = 0;
};

struct ServerLimits {
  uint64_t max_body_bytes = 32ull << 20;
  uint32_t max_header_bytes = 64 * 1024;
  uint32_t max_header_fields = 256;
  uint32_t header_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 75000;
  uint32_t write_timeout_ms = 60000;
  uint64_t max_client_buffer_bytes = 1ull << 20;
};

struct ServerOptions {
  ServerLimits limits;
  std::string node_id;                    // for X-Edge-Node on the server's own error replies
  std::shared_ptr<TlsServerContext> tls;  // null = plaintext
  // Errors found by the server itself (400 parse error, 413, 431, 404 is the handler's)
  // are answered with this JSON body maker: (status, message) -> body.
  std::function<std::string(int status, std::string_view message)> error_body;
  // Shared by the workers' servers, each in its own slot: a connection moves to the worker
  // holding clearly fewer (connection_balancer.h). Null: every connection stays where the
  // kernel's SO_REUSEPORT hash put it. Must outlive the server.
  ConnectionBalancer* balancer = nullptr;
  size_t balancer_slot = 0;
};

class HttpServer {
 public:
  // `fd` is a bound, listening socket (SO_REUSEPORT shared between workers); the server
  // wraps it with uv_tcp_open on `loop`. The handler must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Create(uv_loop_t* loop, int fd, ServerOptions options,
                                                    RequestHandler* handler);
  virtual ~HttpServer() = default;

  // Stops accepting; idle connections are closed; connections with a request in flight
  // close once their response ends. `on_drained` runs when no connection is left.
  virtual void BeginShutdown(std::function<void()> on_drained) = 0;
  // After the shutdown deadline: aborts whatever is still open.
  virtual void ForceClose() = 0;
  virtual size_t open_connections() const = 0;
};

// The accept queue's length. ListenSocket's listen() and HttpServer's uv_listen() on the same
// socket both set it; the later call wins, so they take it from here.
inline constexpr int kListenBacklog = 4096;

// Creates a TCP socket bound to host:port with SO_REUSEPORT and listening, for
// HttpServer::Create on each worker. Port 0 picks a free port; *bound_port reports it.
Result<int> ListenSocket(const std::string& host_port, uint16_t* bound_port);

}  // namespace edge::net
