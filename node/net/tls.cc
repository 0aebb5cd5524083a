// TlsSession: one mbedtls_ssl_context driven over memory buffers. The BIO callbacks below are
// the only place bytes cross between mbedTLS and the transport: recv drains what
// FeedCiphertext() buffered (WANT_READ when it is empty), send appends to the ciphertext the
// transport takes with TakeCiphertext().

#include "node/net/tls.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <utility>

#include "node/net/tls_internal.h"

namespace edge::net {

using tls_internal::ErrorText;
using tls_internal::VerifyFlagsText;

namespace {

// mbedtls_ssl_read never returns more than one record's plaintext (at most 16 KiB) per call.
constexpr size_t kReadStep = MBEDTLS_SSL_IN_CONTENT_LEN;
// An input buffer that grew past this while a burst arrived is released once drained, so
// that idle connections do not each hold a large block.
constexpr size_t kKeepInputCapacity = 64 * 1024;

// The alerts a failing handshake most often ends with (RFC 5246 7.2).
std::string AlertText(unsigned char alert) {
  static constexpr struct {
    unsigned char code;
    const char* name;
  } kAlerts[] = {
      {MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE, "handshake_failure"},
      {MBEDTLS_SSL_ALERT_MSG_BAD_CERT, "bad_certificate"},
      {MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT, "unsupported_certificate"},
      {MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED, "certificate_expired"},
      {MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN, "certificate_unknown"},
      {MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER, "illegal_parameter"},
      {MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA, "unknown_ca"},
      {MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR, "decode_error"},
      {MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR, "decrypt_error"},
      {MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY, "insufficient_security"},
      {MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR, "internal_error"},
      {MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME, "unrecognized_name"},
      {MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL, "no_application_protocol"},
      // Typically a TLS 1.3-only server: mbedTLS 2.28 speaks at most TLS 1.2.
      {MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION,
       "protocol_version (the peer may require TLS 1.3, which this build lacks)"},
  };
  for (const auto& a : kAlerts) {
    if (a.code == alert) return std::string(a.name) + " (" + std::to_string(alert) + ")";
  }
  return "alert " + std::to_string(alert);
}

}  // namespace

struct TlsSession::Impl {
  Impl() { mbedtls_ssl_init(&ssl); }
  ~Impl() { mbedtls_ssl_free(&ssl); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Status Setup(const mbedtls_ssl_config* conf);
  Status Handshake();
  Status Fail(std::string message);
  Status HandshakeError(int rc);
  Status FlushPending();
  Status Encrypt(std::string_view data);

  static int Send(void* self, const unsigned char* buf, size_t len);
  static int Recv(void* self, unsigned char* buf, size_t len);
  static int VerifyIp(void* self, mbedtls_x509_crt* crt, int depth, uint32_t* flags);

  mbedtls_ssl_context ssl;
  // Keep the shared configuration (and its certificates) alive as long as the session.
  std::shared_ptr<TlsServerContext> server_ctx;
  std::shared_ptr<TlsClientContext> client_ctx;
  bool is_client = false;
  std::string host;           // client: as given, for messages
  unsigned char ip[16] = {};  // client with an IP-literal host: its bytes
  size_t ip_len = 0;          // 4 or 16 when the host is an IP literal, else 0
  bool ip_mismatch = false;   // VerifyIp rejected the leaf

  std::string in;       // ciphertext fed and not yet consumed by mbedTLS
  size_t in_off = 0;    // consumed prefix of `in`
  std::string out;      // ciphertext for the socket
  std::string pending;  // plaintext written before the handshake finished

  bool started = false;
  bool handshake_done = false;
  bool peer_closed = false;
  bool shut_down = false;
  Status error;  // sticky: once set, every call returns it
};

int TlsSession::Impl::Send(void* self, const unsigned char* buf, size_t len) {
  auto* s = static_cast<Impl*>(self);
  len = std::min<size_t>(len, INT_MAX);
  s->out.append(reinterpret_cast<const char*>(buf), len);
  return static_cast<int>(len);
}

int TlsSession::Impl::Recv(void* self, unsigned char* buf, size_t len) {
  auto* s = static_cast<Impl*>(self);
  size_t avail = s->in.size() - s->in_off;
  if (avail == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = std::min({len, avail, static_cast<size_t>(INT_MAX)});
  std::memcpy(buf, s->in.data() + s->in_off, n);
  s->in_off += n;
  if (s->in_off == s->in.size()) {
    s->in_off = 0;
    if (s->in.capacity() > kKeepInputCapacity) {
      std::string().swap(s->in);
    } else {
      s->in.clear();
    }
  }
  return static_cast<int>(n);
}

// mbedTLS 2.28 matches only DNS names, so for an IP-literal host the session sets no
// hostname (no SNI for IPs, RFC 6066) and this callback checks the leaf's iPAddress SANs.
// Flagging CN_MISMATCH makes VERIFY_REQUIRED fail the handshake like a name mismatch.
int TlsSession::Impl::VerifyIp(void* self, mbedtls_x509_crt* crt, int depth, uint32_t* flags) {
  auto* s = static_cast<Impl*>(self);
  if (depth == 0 && !tls_internal::CertHasIpSan(*crt, s->ip, s->ip_len)) {
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    s->ip_mismatch = true;
  }
  return 0;
}

Status TlsSession::Impl::Setup(const mbedtls_ssl_config* conf) {
  int rc = mbedtls_ssl_setup(&ssl, conf);
  if (rc != 0) return Fail("TLS session setup failed: " + ErrorText(rc));
  mbedtls_ssl_set_bio(&ssl, this, &Impl::Send, &Impl::Recv, nullptr);
  return Status::Ok();
}

Status TlsSession::Impl::Fail(std::string message) {
  if (error.ok()) error = Unavailable(std::move(message));
  return error;
}

Status TlsSession::Impl::HandshakeError(int rc) {
  std::string prefix =
      is_client ? "TLS handshake with " + host + " failed: " : "TLS handshake failed: ";
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
    std::string why = "certificate verification failed: " + VerifyFlagsText(flags);
    if (ip_mismatch) {
      why += " (the certificate has no iPAddress subject-alternative name " + host + ")";
    }
    return Fail(prefix + why);
  }
  if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
    return Fail(prefix + "the peer closed the connection");
  }
  if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && ssl.in_msg != nullptr) {
    // The alert says why the peer gave up (ssl.in_msg holds the alert record's two bytes).
    return Fail(prefix + "the peer sent a fatal alert: " + AlertText(ssl.in_msg[1]));
  }
  return Fail(prefix + ErrorText(rc));
}

Status TlsSession::Impl::Handshake() {
  int rc = mbedtls_ssl_handshake(&ssl);
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return Status::Ok();
  if (rc != 0) return HandshakeError(rc);
  handshake_done = true;
  return FlushPending();
}

Status TlsSession::Impl::FlushPending() {
  if (pending.empty()) return Status::Ok();
  std::string data = std::move(pending);
  pending.clear();
  return Encrypt(data);
}

Status TlsSession::Impl::Encrypt(std::string_view data) {
  // Send() never pushes back, so mbedtls_ssl_write only splits into records, never stalls.
  while (!data.empty()) {
    int rc =
        mbedtls_ssl_write(&ssl, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    if (rc < 0) return Fail("TLS write failed: " + ErrorText(rc));
    data.remove_prefix(static_cast<size_t>(rc));
  }
  return Status::Ok();
}

// ---- TlsSession ----

TlsSession::TlsSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsSession::~TlsSession() = default;

std::unique_ptr<TlsSession> TlsSession::NewServer(std::shared_ptr<TlsServerContext> ctx) {
  auto impl = std::make_unique<Impl>();
  impl->server_ctx = std::move(ctx);
  (void)impl->Setup(&impl->server_ctx->impl()->conf);  // a failure is sticky in impl->error
  return std::unique_ptr<TlsSession>(new TlsSession(std::move(impl)));
}

std::unique_ptr<TlsSession> TlsSession::NewClient(std::shared_ptr<TlsClientContext> ctx,
                                                  const std::string& host) {
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.is_client = true;
  s.client_ctx = std::move(ctx);
  // Brackets are URL syntax ("[::1]"), a zone ("%eth0") is local: neither is in a certificate.
  std::string bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  s.host = bare;
  std::string no_zone = bare.substr(0, bare.find('%'));
  if (inet_pton(AF_INET, bare.c_str(), s.ip) == 1) {
    s.ip_len = 4;
  } else if (inet_pton(AF_INET6, no_zone.c_str(), s.ip) == 1) {
    s.ip_len = 16;
  }
  if (!s.Setup(&s.client_ctx->impl()->conf).ok()) {
    return std::unique_ptr<TlsSession>(new TlsSession(std::move(impl)));
  }
  const bool verify = s.client_ctx->impl()->verify;
  if (s.ip_len != 0) {
    if (verify) mbedtls_ssl_set_verify(&s.ssl, &Impl::VerifyIp, &s);
  } else if (int rc = mbedtls_ssl_set_hostname(&s.ssl, bare.c_str()); rc != 0) {
    // Sets SNI and, under VERIFY_REQUIRED, the name the certificate must carry.
    (void)s.Fail("TLS host name '" + bare + "' is not usable: " + ErrorText(rc));
  }
  return std::unique_ptr<TlsSession>(new TlsSession(std::move(impl)));
}

Status TlsSession::Start() {
  Impl& s = *impl_;
  if (!s.error.ok()) return s.error;
  if (s.started) return Status::Ok();
  s.started = true;
  // A client writes its ClientHello here; a server just finds no input yet.
  return s.Handshake();
}

void TlsSession::FeedCiphertext(const char* data, size_t len) {
  Impl& s = *impl_;
  if (!s.error.ok()) return;
  if (s.in_off > 0 && s.in_off == s.in.size()) {
    s.in.clear();
    s.in_off = 0;
  }
  s.in.append(data, len);
}

Status TlsSession::ReadPlaintext(std::string* out, bool* peer_closed) {
  Impl& s = *impl_;
  *peer_closed = s.peer_closed;
  if (!s.error.ok()) return s.error;
  if (!s.handshake_done) {
    s.started = true;
    EDGE_RETURN_IF_ERROR(s.Handshake());
    if (!s.handshake_done) return Status::Ok();
  }
  while (!s.peer_closed) {
    // A record's plaintext is at most kReadStep; grow `out` by that and trim to what came.
    size_t old = out->size();
    out->resize(old + kReadStep);
    int rc =
        mbedtls_ssl_read(&s.ssl, reinterpret_cast<unsigned char*>(out->data() + old), kReadStep);
    out->resize(old + (rc > 0 ? static_cast<size_t>(rc) : 0));
    if (rc > 0) {
      // Stop without another (WANT_READ) call when nothing is left to decrypt.
      if (s.in_off == s.in.size() && mbedtls_ssl_check_pending(&s.ssl) == 0) break;
      continue;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) break;
    if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == 0) {
      s.peer_closed = true;
      break;
    }
    return s.Fail("TLS read failed: " + ErrorText(rc));
  }
  *peer_closed = s.peer_closed;
  return Status::Ok();
}

Status TlsSession::WritePlaintext(std::string_view data) {
  Impl& s = *impl_;
  if (!s.error.ok()) return s.error;
  if (s.shut_down) return Status(Code::kFailedPrecondition, "TLS write after close_notify");
  if (!s.handshake_done) {
    s.pending.append(data);
    // A client that was never started sends its ClientHello now.
    if (s.is_client && !s.started) return Start();
    return Status::Ok();
  }
  return s.Encrypt(data);
}

std::string TlsSession::TakeCiphertext() { return std::exchange(impl_->out, std::string()); }

bool TlsSession::HasCiphertext() const { return !impl_->out.empty(); }

bool TlsSession::HandshakeDone() const { return impl_->handshake_done; }

void TlsSession::Shutdown() {
  Impl& s = *impl_;
  if (s.shut_down || !s.handshake_done || !s.error.ok()) return;
  s.shut_down = true;
  // Best effort: the connection closes right after, whatever the result.
  (void)mbedtls_ssl_close_notify(&s.ssl);
}

}  // namespace edge::net
