#pragma once

// One client connection of the HTTP server (internal to node/net). It is the transport's
// observer, the request parser's owner and, while a request is being answered, the
// ServerExchange the handler holds: one object, no per-request allocation.
//
// Phases:  kIdle --first byte--> kReading --request complete--> kHandling --End()--> kIdle
//          any phase --error, timeout, Connection: close, shutdown--> kClosing --> deleted
// Bytes that arrive while a request is being handled (pipelining) wait in leftover_ and are
// parsed after the response ended. One uv_timer per connection serves every timeout; it
// fires at the earliest deadline and re-checks, so that most requests never touch it.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "node/net/connection_balancer.h"
#include "node/net/http_server.h"
#include "node/net/request_parser.h"
#include "node/net/stream_transport.h"

namespace edge::net {

class ServerConnection;

// Response-head buffers between a connection's answers: a per-thread free list, bounded (a
// connection's loop is its thread's). Take gives an empty string with its capacity (or a new
// one); Give keeps a buffer of ordinary size for the next Take.
class HeadBuffers {
 public:
  static std::string Take();
  static void Give(std::string&& s);
  // What an empty std::string holds without a heap buffer of its own.
  static inline const size_t kInlineBytes = std::string().capacity();

 private:
  static constexpr size_t kMaxKept = 256;
  static constexpr size_t kMaxKeptBytes = 4096;
  static std::vector<std::string>& List();
};

// What the connections of one server share; owned by the HttpServer.
struct ServerCore {
  ServerOptions options;
  ParserLimits parser_limits;
  RequestHandler* handler = nullptr;
  bool shutting_down = false;
  bool listener_open = false;
  ServerConnection* connections = nullptr;  // intrusive list of open connections
  size_t count = 0;
  std::function<void()> on_drained;
  ConnectionBalancer* balancer = nullptr;  // options.balancer: told of every close
  size_t balancer_slot = 0;

  void Add(ServerConnection* c);
  // Unlinks c; may run on_drained, after which the core may be gone: touch nothing after.
  void Remove(ServerConnection* c);
  void MaybeDrained();
};

class ServerConnection final : public TransportObserver, public ServerExchange {
 public:
  // Accepts one pending connection from `listener` into a new ServerConnection, which
  // deletes itself once closed. False when the accept failed (nothing else happened).
  static bool Accept(uv_stream_t* listener, ServerCore* core);
  // The same for a connection another worker accepted and handed over (`fd`, taken).
  static bool Adopt(uv_loop_t* loop, int fd, ServerCore* core);
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;
  // Server shutdown: idle connections close; a request in flight finishes, then closes.
  void BeginShutdown();
  // Shutdown deadline: aborts the exchange (OnAborted) and closes now.
  void ForceClose();
  // The server is going away before this connection: stop reporting to it.
  void Detach() { core_ = nullptr; }
  // For tests: the transport, or null once it closed.
  StreamTransport* transport() const { return transport_; }

  ServerConnection* prev = nullptr;  // ServerCore's list
  ServerConnection* next = nullptr;

  // TransportObserver
  void OnData(StreamTransport& t, std::string_view data) override;
  void OnEof(StreamTransport& t) override;
  void OnWriteDrained(StreamTransport& t) override;
  void OnClosed(StreamTransport& t, const Status& why) override;

  // ServerExchange (server_exchange.cc)
  const HttpRequest& request() const override { return parser_.request(); }
  const std::string& request_id() const override { return request_id_; }
  const std::string& peer_ip() const override;
  const sockaddr_in6& peer_addr() const override;
  void SendHead(int status, const HeaderList& headers,
                std::optional<uint64_t> content_length) override;
  bool SendBody(std::string_view data) override;
  void End() override;
  void EndWith(std::string_view last) override;
  void Reply(int status, const HeaderList& headers, std::string_view body) override;
  void Abort() override;
  void SetObserver(ExchangeObserver* observer) override { observer_ = observer; }

 private:
  enum class Phase : uint8_t { kIdle, kReading, kHandling, kClosing };

  explicit ServerConnection(ServerCore* core);
  ~ServerConnection() override = default;
  void Start(StreamTransport* transport);
  static void OnTimer(uv_timer_t* timer) noexcept;
  static void OnTimerClosed(uv_handle_t* handle) noexcept;

  // Input (server_connection.cc)
  void ProcessInput(std::string_view data);
  void ProcessLeftover();
  void Dispatch();
  void MaybeSendContinue();
  void CheckTimers();
  void ArmTimer(uint64_t deadline_ms);
  void AbortExchange();
  void CloseNow();
  void ResponseDone();

  // Output (server_exchange.cc)
  void BuildHead(int status, const HeaderList& headers, std::optional<uint64_t> length);
  void Finish(std::string_view last);  // End(), EndWith()
  void FlushPendingHead();
  bool WriteParts(const std::string_view* parts, size_t count);
  void SendError(int status, std::string_view message);
  void WatchWrites();

  ServerCore* core_;
  StreamTransport* transport_ = nullptr;
  uv_timer_t timer_{};
  RequestParser parser_;
  ExchangeObserver* observer_ = nullptr;
  std::string request_id_;
  std::string leftover_;       // pipelined bytes received while a request is being handled
  // The response head, until it goes out with the first body bytes. Lent from the thread's
  // HeadBuffers while the connection answers and given back when it goes idle, so that idle
  // keep-alive connections hold none (~470 bytes each) and a busy one allocates none.
  std::string head_buf_;
  uint64_t deadline_ms_ = 0;   // kIdle: idle timeout; kReading: header timeout
  uint64_t timer_due_ms_ = 0;  // when the timer fires; 0 = not armed
  uint64_t body_remaining_ = 0;
  Phase phase_ = Phase::kIdle;
  bool in_parse_ = false;
  bool resume_pending_ = false;  // leftover_ waits for the timer's next turn
  bool continue_sent_ = false;
  bool keep_alive_ = true;
  bool head_started_ = false;  // SendHead ran for this exchange
  bool head_pending_ = false;  // head_buf_ not written yet
  bool has_length_ = false;
  bool chunked_ = false;
  bool close_delimited_ = false;
  bool no_body_ = false;
  bool writable_wanted_ = false;  // SendBody returned false: owe OnWritable
  bool reading_paused_ = false;
};

}  // namespace edge::net
