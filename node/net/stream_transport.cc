// StreamTransport: the close sequence is the part to read carefully.
//
//   Close()            -> uv_close(tcp [+ linger timer]) -> close callbacks -> OnClosed -> delete
//   CloseAfterFlush()  -> [TLS close_notify] -> writes drain -> uv_shutdown (FIN)
//                      -> read and discard until EOF or kLingerMs -> Close()
//
// The lingering half-close exists because closing a socket that still has unread input
// makes the kernel send a reset, and a reset can destroy our last response (a 413 sent
// while the client is still uploading, say) before the client has read it.

#include "node/net/stream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "common/event_clock.h"

namespace edge::net {

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// How long a half-closed connection keeps draining the peer's input before it closes.
constexpr uint64_t kLingerMs = 2000;
// Buffers that grew past this for a burst are released once empty, so that idle
// connections do not each keep a large block.
constexpr size_t kKeepCapacity = 64 * 1024;

// One read buffer per thread: libuv calls alloc and read back to back, and OnData's view
// is only valid during the call, so every connection on a loop can share it.
char* ReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

std::string AddressText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {  // dual-stack listener: report plain IPv4
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof(buf));
      return buf;
    }
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
  } else if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof(buf));
  }
  return buf;
}

// The peer's address as text, and as IPv6 (IPv4 as ::ffff:a.b.c.d) into *addr.
std::string PeerAddress(const uv_tcp_t* tcp, sockaddr_in6* addr) {
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  if (ss.ss_family == AF_INET6) {
    *addr = *reinterpret_cast<const sockaddr_in6*>(&ss);
  } else if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = in->sin_port;
    addr->sin6_addr.s6_addr[10] = 0xff;
    addr->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&addr->sin6_addr.s6_addr[12], &in->sin_addr, 4);
  }
  return AddressText(reinterpret_cast<const sockaddr*>(&ss));
}

// A write to a connection the peer has reset raises SIGPIPE, which kills the process by
// default; the error must come back as EPIPE instead. Done once, for every user of sockets.
void IgnoreSigpipe() {
  static const bool done = [] {
    signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

Status UvError(const char* what, int err) {
  return Unavailable(std::string(what) + ": " + uv_strerror(err));
}

}  // namespace

// libuv's C callbacks, as friends of the transport.
struct TransportCallbacks {
  static StreamTransport* From(void* data) { return static_cast<StreamTransport*>(data); }

  static void OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
    *buf = uv_buf_init(ReadBuffer(), kReadBufferSize);
  }
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    EventClockScope event;  // what the bytes set off reads the clocks once
    StreamTransport* t = From(stream->data);
    if (nread > 0) {
      t->HandleRead(buf->base, static_cast<size_t>(nread));
    } else if (nread == UV_EOF) {
      t->HandleEof();
    } else if (nread < 0) {
      t->reading_ = false;
      if (t->lingering_) {
        t->Close();  // the peer reset while we drained it: our part is done
      } else {
        t->Fail(UvError("read", static_cast<int>(nread)));
      }
    }
  }
  static void OnConnect(uv_connect_t* req, int status) noexcept {
    StreamTransport* t = From(req->data);
    if (status == UV_ECANCELED || t->close_started_) return;
    if (status < 0) {
      t->Fail(Unavailable("connect to " + t->peer_ip_ + ": " + uv_strerror(status)));
      return;
    }
    t->HandleConnected();
  }
  static void OnWrite(uv_write_t* req, int status) noexcept {
    From(req->data)->HandleWriteDone(status);
  }
  static void OnShutdown(uv_shutdown_t* req, int status) noexcept {
    From(req->data)->HandleShutdownDone(status);
  }
  static void OnLinger(uv_timer_t* timer) noexcept { From(timer->data)->Close(); }
  static void OnClose(uv_handle_t* handle) noexcept {
    StreamTransport* t = From(handle->data);
    if (--t->open_handles_ == 0) t->HandleClosed();
  }
};

StreamTransport* StreamTransport::Accept(uv_stream_t* listener,
                                         std::shared_ptr<TlsServerContext> tls,
                                         TransportObserver* observer) {
  IgnoreSigpipe();
  auto* t = new StreamTransport();
  uv_tcp_init(listener->loop, &t->tcp_);
  t->tcp_.data = t;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&t->tcp_)) != 0) {
    t->Close();  // no observer yet: the close callback just frees it
    return nullptr;
  }
  return StartServing(t, std::move(tls), observer);
}

StreamTransport* StreamTransport::Adopt(uv_loop_t* loop, int fd,
                                        std::shared_ptr<TlsServerContext> tls,
                                        TransportObserver* observer) {
  IgnoreSigpipe();
  auto* t = new StreamTransport();
  uv_tcp_init(loop, &t->tcp_);
  t->tcp_.data = t;
  if (uv_tcp_open(&t->tcp_, fd) != 0) {
    ::close(fd);  // the handle did not take it
    t->Close();
    return nullptr;
  }
  return StartServing(t, std::move(tls), observer);
}

// An accepted or adopted connection: the observer, the peer, TLS, and the first read.
StreamTransport* StreamTransport::StartServing(StreamTransport* t,
                                               std::shared_ptr<TlsServerContext> tls,
                                               TransportObserver* observer) {
  t->observer_ = observer;
  t->connected_ = true;
  t->connected_notified_ = true;
  uv_tcp_nodelay(&t->tcp_, 1);
  t->peer_ip_ = PeerAddress(&t->tcp_, &t->peer_addr_);
  if (tls) {
    t->tls_ = TlsSession::NewServer(std::move(tls));
    if (!t->tls_) {
      t->Fail(Internal("TLS session setup failed"));
      return t;
    }
  }
  t->StartReading();
  return t;
}

StreamTransport* StreamTransport::Connect(uv_loop_t* loop, const sockaddr* addr,
                                          std::shared_ptr<TlsClientContext> tls,
                                          const std::string& host, TransportObserver* observer) {
  IgnoreSigpipe();
  auto* t = new StreamTransport();
  uv_tcp_init(loop, &t->tcp_);
  t->tcp_.data = t;
  t->observer_ = observer;
  t->is_client_ = true;
  t->peer_ip_ = AddressText(addr);
  if (tls) {
    t->tls_ = TlsSession::NewClient(std::move(tls), host);
    if (!t->tls_) {
      t->Fail(Unavailable("TLS session setup failed for " + host));
      return t;
    }
  }
  t->connect_req_.data = t;
  int r = uv_tcp_connect(&t->connect_req_, &t->tcp_, addr, TransportCallbacks::OnConnect);
  if (r != 0) t->Fail(Unavailable("connect to " + t->peer_ip_ + ": " + uv_strerror(r)));
  return t;
}

void StreamTransport::HandleConnected() {
  connected_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  if (!reading_paused_) StartReading();
  if (tls_) {
    Status s = tls_->Start();
    FlushTls();
    // A Write() made while connecting already started the handshake: its ClientHello waits
    // in pending_ (the gossip writes its first frame right after Connect).
    StartWrite();
    if (!s.ok()) Fail(Unavailable("TLS to " + peer_ip_ + ": " + s.message()));
    return;  // OnConnected waits for the handshake (HandleTlsRead)
  }
  StartWrite();  // whatever was written while connecting
  if (close_started_) return;
  connected_notified_ = true;
  if (observer_) observer_->OnConnected(*this);
}

void StreamTransport::StartReading() {
  if (reading_ || close_started_ || eof_ || !connected_) return;
  int r = uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), TransportCallbacks::OnAlloc,
                        TransportCallbacks::OnRead);
  if (r == 0) {
    reading_ = true;
  } else {
    Fail(UvError("read start", r));
  }
}

void StreamTransport::PauseReading() {
  reading_paused_ = true;
  if (reading_ && !lingering_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void StreamTransport::ResumeReading() {
  reading_paused_ = false;
  StartReading();
}

void StreamTransport::HandleRead(const char* data, size_t len) {
  if (close_after_flush_ || close_started_) return;  // draining or closing: discard
  if (tls_) {
    HandleTlsRead(data, len);
  } else if (observer_) {
    observer_->OnData(*this, std::string_view(data, len));
  }
}

void StreamTransport::HandleTlsRead(const char* data, size_t len) {
  tls_->FeedCiphertext(data, len);
  // Per thread for the same reason as the read buffer: OnData's view is call-scoped.
  thread_local std::string plain;
  plain.clear();
  bool peer_closed = false;
  Status s = tls_->ReadPlaintext(&plain, &peer_closed);
  FlushTls();  // handshake messages, alerts
  if (!s.ok()) {
    Fail(is_client_ ? Unavailable("TLS to " + peer_ip_ + ": " + s.message()) : std::move(s));
    return;
  }
  if (!connected_notified_ && tls_->HandshakeDone()) {
    connected_notified_ = true;
    if (observer_) observer_->OnConnected(*this);
    if (closing_) return;
  }
  if (!plain.empty() && observer_) {
    observer_->OnData(*this, plain);
    if (closing_) return;
  }
  if (plain.capacity() > kKeepCapacity * 2) std::string().swap(plain);
  if (peer_closed) HandleEof();
}

void StreamTransport::HandleEof() {
  eof_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
  if (lingering_) {
    Close();
    return;
  }
  if (close_after_flush_ || close_started_) return;  // the flush ends in Close() anyway
  if (is_client_ && !connected_notified_) {
    Fail(Unavailable("connection to " + peer_ip_ + " closed during the TLS handshake"));
    return;
  }
  if (observer_) {
    observer_->OnEof(*this);
  } else {
    Close();
  }
}

bool StreamTransport::Write(std::string_view data) { return Writev(&data, 1); }

bool StreamTransport::Writev(const std::string_view* parts, size_t count) {
  if (closing_) return false;
  if (tls_) {
    Status s;
    if (count == 1) {
      s = tls_->WritePlaintext(parts[0]);
    } else {
      thread_local std::string joined;  // one record for all parts
      joined.clear();
      for (size_t i = 0; i < count; ++i) joined.append(parts[i]);
      s = tls_->WritePlaintext(joined);
      if (joined.capacity() > kKeepCapacity * 2) std::string().swap(joined);
    }
    if (!s.ok()) {
      Fail(std::move(s));
      return false;
    }
    FlushTls();
  } else {
    WriteRaw(parts, count);
  }
  return AfterWrite();
}

bool StreamTransport::AfterWrite() {
  if (closing_) return false;
  if (buffered() > high_water_) {
    above_high_ = true;
    return false;
  }
  return true;
}

void StreamTransport::FlushTls() {
  if (!tls_->HasCiphertext()) return;
  std::string ciphertext = tls_->TakeCiphertext();
  std::string_view view(ciphertext);
  WriteRaw(&view, 1);
}

void StreamTransport::WriteRaw(const std::string_view* parts, size_t count) {
  if (close_started_) return;
  size_t written = 0;
  if (connected_ && !write_in_flight_ && pending_.empty()) {
    // Nothing queued: offer the bytes to the kernel directly, without copying them.
    uv_buf_t bufs[kMaxParts];
    size_t n = 0;
    size_t total = 0;
    for (size_t i = 0; i < count && n < kMaxParts; ++i) {
      if (parts[i].empty()) continue;
      bufs[n++] = uv_buf_init(const_cast<char*>(parts[i].data()),
                              static_cast<unsigned int>(parts[i].size()));
      total += parts[i].size();
    }
    if (total == 0) return;
    int r = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), bufs, static_cast<unsigned>(n));
    if (r < 0 && r != UV_EAGAIN) {
      Fail(UvError("write", r));
      return;
    }
    written = r > 0 ? static_cast<size_t>(r) : 0;
    if (written == total) return;
  }
  if (buffered() == 0) {  // data starts waiting now: the write-stall clock starts here
    progress_ms_ = uv_now(tcp_.loop);
    progress_queue_size_ = tcp_.write_queue_size;
  }
  for (size_t i = 0; i < count; ++i) {
    std::string_view p = parts[i];
    if (written >= p.size()) {
      written -= p.size();
      continue;
    }
    pending_.append(p.substr(written));
    written = 0;
  }
  StartWrite();
}

void StreamTransport::StartWrite() {
  if (!connected_ || write_in_flight_ || pending_.empty() || close_started_) return;
  inflight_.swap(pending_);  // pending_ takes over inflight_'s (empty) buffer
  uv_buf_t buf = uv_buf_init(inflight_.data(), static_cast<unsigned int>(inflight_.size()));
  write_req_.data = this;
  int r = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                   TransportCallbacks::OnWrite);
  if (r < 0) {
    Fail(UvError("write", r));
    return;
  }
  write_in_flight_ = true;
}

void StreamTransport::HandleWriteDone(int status) {
  write_in_flight_ = false;
  if (status == UV_ECANCELED || close_started_) return;
  if (status < 0) {
    Fail(UvError("write", status));
    return;
  }
  inflight_.clear();
  if (inflight_.capacity() > kKeepCapacity) std::string().swap(inflight_);
  progress_ms_ = uv_now(tcp_.loop);
  if (!pending_.empty()) {
    StartWrite();
    progress_queue_size_ = tcp_.write_queue_size;
  } else {
    if (pending_.capacity() > kKeepCapacity) std::string().swap(pending_);
    progress_queue_size_ = 0;
    if (close_after_flush_) {
      StartShutdown();
      return;
    }
  }
  CheckDrained();
}

void StreamTransport::CheckDrained() {
  if (!above_high_ || closing_ || buffered() > low_water_) return;
  above_high_ = false;
  if (observer_) observer_->OnWriteDrained(*this);
}

size_t StreamTransport::buffered() const { return pending_.size() + tcp_.write_queue_size; }

void StreamTransport::SetWaterMarks(size_t low, size_t high) {
  low_water_ = low;
  high_water_ = high < low ? low : high;
}

uint64_t StreamTransport::last_write_progress_ms() {
  // A partial write shrinks libuv's queue without a callback; count that as progress too.
  if (tcp_.write_queue_size != progress_queue_size_) {
    progress_queue_size_ = tcp_.write_queue_size;
    progress_ms_ = uv_now(tcp_.loop);
  }
  return progress_ms_;
}

void StreamTransport::CloseAfterFlush() {
  if (close_after_flush_ || close_started_) return;
  close_after_flush_ = true;
  closing_ = true;
  if (tls_ && connected_) {
    tls_->Shutdown();
    FlushTls();
  }
  if (!write_in_flight_ && pending_.empty()) StartShutdown();
}

void StreamTransport::StartShutdown() {
  if (shutdown_started_ || close_started_) return;
  shutdown_started_ = true;
  if (!connected_ || eof_) {
    Close();
    return;
  }
  shutdown_req_.data = this;
  int r = uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_),
                      TransportCallbacks::OnShutdown);
  if (r < 0) Close();
}

void StreamTransport::HandleShutdownDone(int status) {
  if (status == UV_ECANCELED || close_started_) return;
  if (status < 0 || eof_) {
    Close();
    return;
  }
  // Drain the peer until it closes too, or for kLingerMs at most.
  lingering_ = true;
  linger_timer_ = std::make_unique<uv_timer_t>();
  uv_timer_init(tcp_.loop, linger_timer_.get());
  linger_timer_->data = this;
  uv_timer_start(linger_timer_.get(), TransportCallbacks::OnLinger, kLingerMs, 0);
  StartReading();
}

void StreamTransport::Fail(Status why) {
  if (close_reason_.ok()) close_reason_ = std::move(why);
  Close();
}

void StreamTransport::Close() {
  if (close_started_) return;
  close_started_ = true;
  closing_ = true;
  reading_ = false;
  open_handles_ = 1;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), TransportCallbacks::OnClose);
  if (linger_timer_ != nullptr) {
    ++open_handles_;
    uv_close(reinterpret_cast<uv_handle_t*>(linger_timer_.get()), TransportCallbacks::OnClose);
  }
}

void StreamTransport::HandleClosed() {
  TransportObserver* observer = observer_;
  observer_ = nullptr;
  if (observer) observer->OnClosed(*this, close_reason_);
  delete this;  // the last handle's close callback has run: nothing refers to us any more
}

}  // namespace edge::net
