#pragma once

// A TCP connection on one libuv loop, optionally wrapped in TLS: the one byte pipe both the
// client-facing server and the upstream client use. It owns its uv_tcp_t and frees nothing
// before the close callback; the owner learns of every end through OnClosed exactly once.

#include <uv.h>

#include <cstddef>
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
  // The peer half-closed (EOF) or sent close_notify.
  virtual void OnEof(StreamTransport& t) = 0;
  // The write buffer fell below the low-water mark after having been above the high one.
  virtual void OnWriteDrained(StreamTransport& t) {}
  // The transport is fully closed (handle close callback ran). `why` is ok for a local
  // Close(), else the error that ended it (reset, TLS failure, ...). The observer may
  // destroy the transport from here (deferred by the transport itself, so it is safe).
  virtual void OnClosed(StreamTransport& t, const Status& why) = 0;
};

class StreamTransport {
 public:
  // Server side: takes an accepted, initialized uv_tcp_t's place: call from the listener's
  // connection callback; `tls` may be null for plain TCP.
  static StreamTransport* Accept(uv_stream_t* listener, std::shared_ptr<TlsServerContext> tls,
                                 TransportObserver* observer);
  // Client side: connects to addr; with tls set, performs the handshake for `host` before
  // OnConnected. Errors arrive as OnClosed with a Code::kUnavailable status.
  static StreamTransport* Connect(uv_loop_t* loop, const sockaddr* addr,
                                  std::shared_ptr<TlsClientContext> tls, const std::string& host,
                                  TransportObserver* observer);

  // Buffers and writes. Returns false when the unsent total is above the high-water mark:
  // the caller should stop producing until OnWriteDrained. Never drops data.
  bool Write(std::string_view data);
  // Bytes accepted by Write() that the kernel has not taken yet.
  size_t buffered() const;
  void SetWaterMarks(size_t low, size_t high);

  void PauseReading();
  void ResumeReading();
  // Flushes what is buffered (and a TLS close_notify), then closes. Idempotent.
  void CloseAfterFlush();
  // Closes now; buffered data is dropped. Idempotent.
  void Close();
  // Changes who hears about this transport (connection pools hand transports over).
  void set_observer(TransportObserver* o) { observer_ = o; }

  bool closing() const { return closing_; }
  bool is_tls() const { return tls_ != nullptr; }
  uv_loop_t* loop() const { return tcp_.loop; }
  // The peer's address as text ("127.0.0.1", "::1"), for logs and geo lookups.
  const std::string& peer_ip() const { return peer_ip_; }

 private:
  StreamTransport() = default;
  ~StreamTransport();
  friend struct TransportCallbacks;

  uv_tcp_t tcp_{};
  uv_connect_t connect_req_{};
  TransportObserver* observer_ = nullptr;
  std::unique_ptr<TlsSession> tls_;
  std::string peer_ip_;
  size_t low_water_ = 256 * 1024;
  size_t high_water_ = 1024 * 1024;
  size_t in_flight_ = 0;     // bytes handed to uv_write and not yet completed
  bool above_high_ = false;
  bool closing_ = false;
  bool reading_paused_ = false;
  bool close_after_flush_ = false;
  Status close_reason_;
};

}  // namespace edge::net
