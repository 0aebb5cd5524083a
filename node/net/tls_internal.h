#pragma once

// Internals shared by tls_context.cc (the shared contexts) and tls.cc (the sessions).
// Nothing outside node/net/tls*.cc includes this.

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "node/net/tls.h"

namespace edge::net {

// Read-only after Load(): every worker's sessions point their mbedtls_ssl_context at conf.
struct TlsServerContext::Impl {
  Impl() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    mbedtls_x509_crt_init(&client_ca);
  }
  ~Impl() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&chain);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&client_ca);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  mbedtls_ssl_config conf;
  mbedtls_x509_crt chain;
  mbedtls_pk_context key;
  mbedtls_x509_crt client_ca;  // mutual TLS: the CA a client's certificate must chain to
};

// Read-only after Create(), like the server context.
struct TlsClientContext::Impl {
  Impl() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&own_chain);
    mbedtls_pk_init(&own_key);
  }
  ~Impl() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&own_chain);
    mbedtls_pk_free(&own_key);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
  mbedtls_x509_crt own_chain;  // mutual TLS: the certificate this client presents
  mbedtls_pk_context own_key;
  bool verify = true;
};

namespace tls_internal {

// The RNG every config uses (p_rng is ignored): one CTR-DRBG per thread, seeded on first use
// from that thread's own entropy context. A single shared DRBG would be safe too (mbedTLS
// locks it under MBEDTLS_THREADING_C) but would make every worker's handshakes and CBC
// records contend on one mutex.
int ThreadRandom(void* unused, unsigned char* out, size_t len);

// "SSL - The connection indicated an EOF (-0x7280)": mbedtls_strerror plus the code.
std::string ErrorText(int rc);

// The causes in a verification result, "; "-joined (mbedtls_x509_crt_verify_info).
std::string VerifyFlagsText(uint32_t flags);

// Whether the certificate's subjectAltName extension lists iPAddress `ip` (4 or 16 bytes).
// Walks the raw extension DER because mbedTLS 2.28 keeps only dNSName/otherName entries in
// crt.subject_alt_names.
bool CertHasIpSan(const mbedtls_x509_crt& crt, const unsigned char* ip, size_t ip_len);

}  // namespace tls_internal
}  // namespace edge::net
