#pragma once

// A TCP connection on one libuv loop, optionally wrapped in TLS: the one byte pipe both the
// client-facing server and the upstream client use. It owns its uv_tcp_t and frees nothing
// before the close callback; the owner learns of every end through OnClosed exactly once.
//
// Writes are coalesced: while nothing is queued, Write() hands the bytes straight to the
// kernel (uv_try_write, no copy); what the kernel does not take is appended to one pending
// buffer, and at most one uv_write is in flight at a time, carrying everything pending.
// Reads use one 64 KiB buffer per thread (so per loop), not one per connection.

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/net/tls.h"

namespace edge::net {

class StreamTransport;

class TransportObserver {
 public:
  virtual ~TransportObserver() = default;
  // Client side: TCP connected and, with TLS, the handshake finished.
  virtual void OnConnected(StreamTransport& t) {}
  // Plaintext bytes arrived. The view is valid only during the call.
  virtual void OnData(StreamTransport& t, std::string_view data) = 0;
  // The peer half-closed (EOF) or sent close_notify. Reading has stopped; the transport
  // stays open (writes still work) until the owner closes it.
  virtual void OnEof(StreamTransport& t) = 0;
  // The write buffer fell below the low-water mark after having been above the high one.
  virtual void OnWriteDrained(StreamTransport& t) {}
  // The transport is fully closed (handle close callback ran). `why` is ok for a local
  // Close() / CloseAfterFlush(), else the error that ended it (reset, TLS failure, ...).
  // The transport deletes itself right after this returns: forget the pointer here.
  virtual void OnClosed(StreamTransport& t, const Status& why) = 0;
};

class StreamTransport {
 public:
  // Server side: accepts one pending connection from `listener` (call from the listener's
  // connection callback) and starts reading; `tls` may be null for plain TCP. Returns null
  // when the accept failed (the observer then hears nothing).
  static StreamTransport* Accept(uv_stream_t* listener, std::shared_ptr<TlsServerContext> tls,
                                 TransportObserver* observer);
  // The same for a connection another loop accepted (connection_balancer.h): takes `fd`
  // (closes it when it cannot be used) and starts reading on `loop`.
  static StreamTransport* Adopt(uv_loop_t* loop, int fd, std::shared_ptr<TlsServerContext> tls,
                                TransportObserver* observer);
  // Client side: connects to addr; with tls set, performs the handshake for `host` before
  // OnConnected. Writes made before OnConnected are queued. Errors arrive as OnClosed with a
  // Code::kUnavailable status (never synchronously from Connect).
  static StreamTransport* Connect(uv_loop_t* loop, const sockaddr* addr,
                                  std::shared_ptr<TlsClientContext> tls, const std::string& host,
                                  TransportObserver* observer);

  // Buffers and writes. Returns false when the unsent total is above the high-water mark:
  // the caller should stop producing until OnWriteDrained. Never drops data, except after
  // Close()/CloseAfterFlush(), when it drops everything and returns false.
  bool Write(std::string_view data);
  // Write() of several pieces as one: one syscall for the lot, one TLS record with TLS.
  // At most kMaxParts pieces.
  static constexpr size_t kMaxParts = 8;
  bool Writev(const std::string_view* parts, size_t count);
  // Bytes accepted by Write() that the kernel has not taken yet.
  size_t buffered() const;
  void SetWaterMarks(size_t low, size_t high);
  // uv_now() of the last time the kernel took some of our bytes (or of the moment data
  // started waiting). With buffered() > 0, now minus this is how long writing has stalled.
  // Samples the libuv write queue, hence not const.
  uint64_t last_write_progress_ms();

  void PauseReading();
  void ResumeReading();
  // Flushes what is buffered (and a TLS close_notify), half-closes, drains what the peer
  // still sends for a short while (so the peer sees our last bytes rather than a reset),
  // then closes. Idempotent.
  void CloseAfterFlush();
  // Closes now; buffered data is dropped. Idempotent.
  void Close();
  // Changes who hears about this transport (connection pools hand transports over).
  // Null is allowed: the transport then closes silently.
  void set_observer(TransportObserver* o) { observer_ = o; }

  // True once Close() or CloseAfterFlush() was called or an error ended the transport.
  bool closing() const { return closing_; }
  bool is_tls() const { return tls_ != nullptr; }
  uv_loop_t* loop() const { return tcp_.loop; }
  // The peer's address as text ("127.0.0.1", "::1"), for logs and geo lookups.
  const std::string& peer_ip() const { return peer_ip_; }
  // The same address parsed (IPv4 as IPv4-mapped IPv6), for lookups without re-parsing.
  const sockaddr_in6& peer_addr() const { return peer_addr_; }

 private:
  StreamTransport() = default;
  ~StreamTransport() = default;
  friend struct TransportCallbacks;

  static StreamTransport* StartServing(StreamTransport* t, std::shared_ptr<TlsServerContext> tls,
                                       TransportObserver* observer);
  void StartReading();
  void HandleRead(const char* data, size_t len);
  void HandleTlsRead(const char* data, size_t len);
  void HandleEof();
  void HandleConnected();
  void HandleWriteDone(int status);
  void HandleShutdownDone(int status);
  bool AfterWrite();
  void WriteRaw(const std::string_view* parts, size_t count);
  void FlushTls();
  void StartWrite();
  void StartShutdown();
  void CheckDrained();
  // Records the first error and closes.
  void Fail(Status why);
  void HandleClosed();

  uv_tcp_t tcp_{};
  union {  // a connect has completed before a shutdown starts: never both in use
    uv_connect_t connect_req_{};
    uv_shutdown_t shutdown_req_;
  };
  uv_write_t write_req_{};
  // Made only when lingering (a closing connection's last 2 s): 150 bytes that 10,000 idle
  // keep-alive connections need not each carry.
  std::unique_ptr<uv_timer_t> linger_timer_;
  TransportObserver* observer_ = nullptr;
  std::unique_ptr<TlsSession> tls_;
  std::string peer_ip_;
  sockaddr_in6 peer_addr_{};  // 28 bytes rather than a sockaddr_storage's 128 per connection
  std::string pending_;   // accepted by Write(), not yet handed to uv_write
  std::string inflight_;  // the buffer the one uv_write in flight is sending
  size_t low_water_ = 256 * 1024;
  size_t high_water_ = 1024 * 1024;
  uint64_t progress_ms_ = 0;        // see last_write_progress_ms()
  size_t progress_queue_size_ = 0;  // write queue size when progress_ms_ was taken
  int open_handles_ = 0;            // handles whose close callback has yet to run
  bool is_client_ = false;
  bool connected_ = false;  // TCP connected (always true server side)
  bool connected_notified_ = false;
  bool write_in_flight_ = false;
  bool above_high_ = false;
  bool closing_ = false;
  bool close_started_ = false;   // uv_close called
  bool reading_ = false;         // uv_read_start is in effect
  bool reading_paused_ = false;  // the owner asked for no reads
  bool eof_ = false;
  bool close_after_flush_ = false;
  bool shutdown_started_ = false;
  bool lingering_ = false;
  Status close_reason_;
};

}  // namespace edge::net
