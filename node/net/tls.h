#pragma once

// TLS on mbedTLS 2.28, as memory sessions: the socket code moves ciphertext in and out,
// the session never touches a socket. One TlsSession per connection, used on one loop.
// Contexts are immutable after creation and shared by all workers (mbedTLS is built with
// MBEDTLS_THREADING_C, so the shared RNG is locked internally).

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::net {

// Certificate + key for a listener (PEM files). TLS 1.2 minimum.
class TlsServerContext {
 public:
  static Result<std::shared_ptr<TlsServerContext>> Load(const std::string& cert_path,
                                                        const std::string& key_path);
  // The same, and every client must present a certificate that chains to `ca_path`
  // (mutual TLS: the federation's gossip port).
  static Result<std::shared_ptr<TlsServerContext>> LoadMutual(const std::string& cert_path,
                                                              const std::string& key_path,
                                                              const std::string& ca_path);
  ~TlsServerContext();
  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  TlsServerContext();
  std::unique_ptr<Impl> impl_;
};

// Trust settings for upstream connections. TLS 1.2 minimum.
class TlsClientContext {
 public:
  // verify=true, ca_file empty: the system bundle (/etc/ssl/certs/ca-certificates.crt).
  // verify=true, ca_file set: only that CA file. verify=false: no verification at all.
  static Result<std::shared_ptr<TlsClientContext>> Create(bool verify, const std::string& ca_file);
  // Verifies servers against `ca_file` only and presents `cert_path` / `key_path` when the
  // server asks (mutual TLS: the federation's gossip connections).
  static Result<std::shared_ptr<TlsClientContext>> CreateMutual(const std::string& ca_file,
                                                                const std::string& cert_path,
                                                                const std::string& key_path);
  ~TlsClientContext();
  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  TlsClientContext();
  std::unique_ptr<Impl> impl_;
};

// One TLS connection's state machine over memory buffers.
//   socket bytes in  -> FeedCiphertext(); then ReadPlaintext() yields application bytes
//   WritePlaintext() -> TakeCiphertext() gives the bytes to write to the socket
// Handshake records are produced by ReadPlaintext()/WritePlaintext()/Start() as needed, so
// after every call the owner must flush TakeCiphertext() to the socket.
class TlsSession {
 public:
  // A server session; keeps a reference to ctx.
  static std::unique_ptr<TlsSession> NewServer(std::shared_ptr<TlsServerContext> ctx);
  // A client session for `host`: sends SNI when host is a name; verifies the certificate
  // chain and that the certificate names the host (DNS SAN/CN for names, IP SAN for IP
  // literals, which mbedTLS 2.28 does not check by itself) unless the context says verify=false.
  static std::unique_ptr<TlsSession> NewClient(std::shared_ptr<TlsClientContext> ctx,
                                               const std::string& host);
  ~TlsSession();

  // Client: produce the ClientHello (call once, then flush TakeCiphertext()).
  Status Start();
  void FeedCiphertext(const char* data, size_t len);
  // Advances the handshake and appends any decrypted application data to *out.
  // A non-ok Status is fatal for the connection (message names the cause, e.g. a
  // verification failure). Sets *peer_closed when the peer sent close_notify.
  Status ReadPlaintext(std::string* out, bool* peer_closed);
  // Encrypts data (buffered until the handshake is done). Non-ok is fatal.
  Status WritePlaintext(std::string_view data);
  // Ciphertext waiting to be written to the socket; empties the session's buffer.
  std::string TakeCiphertext();
  bool HasCiphertext() const;
  bool HandshakeDone() const;
  // Queues a close_notify alert (flush TakeCiphertext() afterwards).
  void Shutdown();

  struct Impl;

 private:
  explicit TlsSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edge::net
