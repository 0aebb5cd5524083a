// The shared TLS contexts: certificate/key loading for listeners, trust anchors for upstream
// connections, and the per-thread RNG both use.

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/platform_util.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "node/net/tls.h"
#include "node/net/tls_internal.h"

namespace edge::net {
namespace tls_internal {
namespace {

struct ThreadRng {
  ThreadRng() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    static constexpr char kPersonalization[] = "llm-edge tls";
    seed_rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                    reinterpret_cast<const unsigned char*>(kPersonalization),
                                    sizeof(kPersonalization) - 1);
  }
  ~ThreadRng() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  int seed_rc;
};

}  // namespace

int ThreadRandom(void* /*unused*/, unsigned char* out, size_t len) {
  thread_local ThreadRng rng;
  if (rng.seed_rc != 0) return rng.seed_rc;
  // One CTR-DRBG request is capped at MBEDTLS_CTR_DRBG_MAX_REQUEST bytes.
  while (len > 0) {
    size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (int rc = mbedtls_ctr_drbg_random(&rng.drbg, out, n); rc != 0) return rc;
    out += n;
    len -= n;
  }
  return 0;
}

std::string ErrorText(int rc) {
  char text[200];
  mbedtls_strerror(rc, text, sizeof(text));
  char code[24];
  std::snprintf(code, sizeof(code), " (-0x%04X)", static_cast<unsigned>(-rc));
  return std::string(text) + code;
}

}  // namespace tls_internal

namespace {

using tls_internal::ErrorText;

constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";

// The whole file plus a NUL: mbedTLS's PEM parsers want the terminator counted in the length.
Result<std::string> ReadFileForParse(const std::string& path, const char* what) {
  if (path.empty()) return InvalidArgument(std::string("no TLS ") + what + " file given");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    Status s(
        err == ENOENT ? Code::kNotFound : Code::kInvalidArgument,
        std::string("cannot read TLS ") + what + " file '" + path + "': " + std::strerror(err));
    return s;
  }
  std::string data;
  char buf[16384];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, n);
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  mbedtls_platform_zeroize(buf, sizeof(buf));  // it may have held a private key
  if (failed) {
    return InvalidArgument(std::string("cannot read TLS ") + what + " file '" + path +
                           "': " + std::strerror(err));
  }
  if (data.empty()) {
    return InvalidArgument(std::string("TLS ") + what + " file '" + path + "' is empty");
  }
  data.push_back('\0');
  return data;
}

bool IsPem(const std::string& data) { return data.find("-----BEGIN ") != std::string::npos; }

// PEM is parsed with its NUL, DER without.
size_t ParseLength(const std::string& data) { return IsPem(data) ? data.size() : data.size() - 1; }

void ApplyCommonConfig(mbedtls_ssl_config* conf) {
  // PRESET_DEFAULT still allows TLS 1.0/1.1 in 2.28 and negotiated 1.1 with a 1.1-only peer;
  // the contract says TLS 1.2 is the minimum.
  mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(conf, tls_internal::ThreadRandom, nullptr);
}

// A certificate chain and its private key (PEM or DER files); the first certificate's key
// must be the key.
Status LoadIdentity(const std::string& cert_path, const std::string& key_path,
                    mbedtls_x509_crt* chain, mbedtls_pk_context* pk) {
  EDGE_ASSIGN_OR_RETURN(std::string cert, ReadFileForParse(cert_path, "certificate"));
  EDGE_ASSIGN_OR_RETURN(std::string key, ReadFileForParse(key_path, "key"));
  int rc = mbedtls_x509_crt_parse(chain, reinterpret_cast<const unsigned char*>(cert.data()),
                                  ParseLength(cert));
  if (rc != 0) {
    return InvalidArgument(
        "TLS certificate file '" + cert_path + "' is not a valid certificate " + "chain: " +
        (rc > 0 ? std::to_string(rc) + " certificate(s) could not be parsed" : ErrorText(rc)));
  }
  rc = mbedtls_pk_parse_key(pk, reinterpret_cast<const unsigned char*>(key.data()),
                            ParseLength(key), nullptr, 0);
  mbedtls_platform_zeroize(key.data(), key.size());
  if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
    return InvalidArgument("TLS key file '" + key_path +
                           "' is encrypted; give an unencrypted private key");
  }
  if (rc != 0) {
    return InvalidArgument("TLS key file '" + key_path +
                           "' is not a valid private key: " + ErrorText(rc));
  }
  // The first certificate of the chain is the one we present; its key must be ours.
  if (mbedtls_pk_check_pair(&chain->pk, pk) != 0) {
    return InvalidArgument("TLS key file '" + key_path + "' does not match the certificate in '" +
                           cert_path + "'");
  }
  return Status::Ok();
}

// Only the certificates of `path` (no system bundle).
Status LoadCa(const std::string& path, mbedtls_x509_crt* ca) {
  EDGE_ASSIGN_OR_RETURN(std::string pem, ReadFileForParse(path, "CA"));
  int rc = mbedtls_x509_crt_parse(ca, reinterpret_cast<const unsigned char*>(pem.data()),
                                  ParseLength(pem));
  if (rc < 0 || ca->version == 0) {
    return InvalidArgument("TLS CA file '" + path + "' holds no usable certificate" +
                           (rc < 0 ? ": " + ErrorText(rc) : std::string()));
  }
  return Status::Ok();
}

}  // namespace

// ---- server ----

TlsServerContext::TlsServerContext() : impl_(std::make_unique<Impl>()) {}
TlsServerContext::~TlsServerContext() = default;

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::Load(const std::string& cert_path,
                                                                 const std::string& key_path) {
  std::shared_ptr<TlsServerContext> ctx(new TlsServerContext());
  Impl& im = *ctx->impl_;
  EDGE_RETURN_IF_ERROR(LoadIdentity(cert_path, key_path, &im.chain, &im.key));
  int rc = mbedtls_ssl_config_defaults(&im.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return Internal("TLS server configuration failed: " + ErrorText(rc));
  ApplyCommonConfig(&im.conf);
  // Signing with the shared key from several workers is safe: RSA contexts lock their own
  // mutex (blinding), and EC keys are copied into a fresh ECDSA context per signature.
  rc = mbedtls_ssl_conf_own_cert(&im.conf, &im.chain, &im.key);
  if (rc != 0) return Internal("TLS server certificate setup failed: " + ErrorText(rc));
  return ctx;
}

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::LoadMutual(
    const std::string& cert_path, const std::string& key_path, const std::string& ca_path) {
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<TlsServerContext> ctx, Load(cert_path, key_path));
  Impl& im = *ctx->impl_;
  EDGE_RETURN_IF_ERROR(LoadCa(ca_path, &im.client_ca));
  mbedtls_ssl_conf_ca_chain(&im.conf, &im.client_ca, nullptr);
  mbedtls_ssl_conf_authmode(&im.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  return ctx;
}

// ---- client ----

TlsClientContext::TlsClientContext() : impl_(std::make_unique<Impl>()) {}
TlsClientContext::~TlsClientContext() = default;

Result<std::shared_ptr<TlsClientContext>> TlsClientContext::Create(bool verify,
                                                                   const std::string& ca_file) {
  std::shared_ptr<TlsClientContext> ctx(new TlsClientContext());
  Impl& im = *ctx->impl_;
  im.verify = verify;
  int rc = mbedtls_ssl_config_defaults(&im.conf, MBEDTLS_SSL_IS_CLIENT,
                                       MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return Internal("TLS client configuration failed: " + ErrorText(rc));
  ApplyCommonConfig(&im.conf);
  if (!verify) {
    mbedtls_ssl_conf_authmode(&im.conf, MBEDTLS_SSL_VERIFY_NONE);
    return ctx;
  }

  // Parsed once here; every session of every worker verifies against this chain (read-only
  // during verification: EC signatures are checked on a copied group, RSA locks its mutex).
  const std::string path = ca_file.empty() ? std::string(kSystemCaBundle) : ca_file;
  EDGE_ASSIGN_OR_RETURN(std::string pem, ReadFileForParse(path, "CA"));
  rc = mbedtls_x509_crt_parse(&im.ca, reinterpret_cast<const unsigned char*>(pem.data()),
                              ParseLength(pem));
  // A positive rc counts certificates that failed to parse; like curl, a bundle with some
  // unsupported entries still works with the rest. Nothing parsed at all is an error.
  if (rc < 0 || im.ca.version == 0) {
    return InvalidArgument("TLS CA file '" + path + "' holds no usable certificate" +
                           (rc < 0 ? ": " + ErrorText(rc) : std::string()));
  }
  mbedtls_ssl_conf_ca_chain(&im.conf, &im.ca, nullptr);
  mbedtls_ssl_conf_authmode(&im.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  return ctx;
}

Result<std::shared_ptr<TlsClientContext>> TlsClientContext::CreateMutual(
    const std::string& ca_file, const std::string& cert_path, const std::string& key_path) {
  if (ca_file.empty()) return InvalidArgument("mutual TLS needs a CA file");
  EDGE_ASSIGN_OR_RETURN(std::shared_ptr<TlsClientContext> ctx, Create(true, ca_file));
  Impl& im = *ctx->impl_;
  EDGE_RETURN_IF_ERROR(LoadIdentity(cert_path, key_path, &im.own_chain, &im.own_key));
  int rc = mbedtls_ssl_conf_own_cert(&im.conf, &im.own_chain, &im.own_key);
  if (rc != 0) return Internal("TLS client certificate setup failed: " + ErrorText(rc));
  return ctx;
}

}  // namespace edge::net
