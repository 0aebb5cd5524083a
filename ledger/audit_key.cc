#include "ledger/audit_key.h"

#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/audit_hash.h"

namespace edge::ledger {
namespace {

std::string MbedError(const char* what, int rc) {
  char buf[128];
  mbedtls_strerror(rc, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

// Hex SHA-256 of the DER public key; the DER is written at the end of the buffer.
std::string KeyIdOf(mbedtls_pk_context* pk) {
  unsigned char der[256];
  int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
  if (n <= 0) return {};
  return ToHex(Sha256Of(std::string_view(reinterpret_cast<char*>(der) + sizeof der - n,
                                         static_cast<size_t>(n))));
}

bool IsP256(mbedtls_pk_context* pk) {
  if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) return false;
  return mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

// mbedTLS wants PEM text NUL-terminated, its length counting the NUL.
std::string WithNul(std::string_view pem) {
  std::string s(pem);
  s.push_back('\0');
  return s;
}

Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Internal("cannot write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Internal("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

// mbedTLS makes, parses and writes the key; OpenSSL's libcrypto signs with it. mbedTLS 2.28's
// generic P-256 arithmetic needs ~10 million instructions per signature (about 10k per audit
// record at one digest per 1,000 records, as much as the rest of the record's hashing);
// libcrypto's constant-time P-256 (ecp_nistz256) needs a fraction of that. Both produce the
// same DER ECDSA-Sig-Value, which any verifier (mbedTLS here, openssl dgst) accepts.
struct SigningKey::Impl {
  mbedtls_pk_context pk;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  EVP_PKEY* signer = nullptr;
  Impl() {
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~Impl() {
    EVP_PKEY_free(signer);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_pk_free(&pk);
  }
  int Seed() {
    static constexpr unsigned char kPersonal[] = "llm-edge audit key";
    return mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPersonal,
                                 sizeof kPersonal - 1);
  }
  // Hands the key to libcrypto through its PEM form.
  Status LoadSigner() {
    unsigned char buf[1024];
    if (mbedtls_pk_write_key_pem(&pk, buf, sizeof buf) != 0) {
      return Internal("cannot write the audit key as PEM");
    }
    BIO* bio = BIO_new_mem_buf(buf, -1);
    if (bio != nullptr) signer = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    mbedtls_platform_zeroize(buf, sizeof buf);
    if (signer == nullptr) return Internal("libcrypto cannot load the audit key");
    return Status::Ok();
  }
};

struct VerifyingKey::Impl {
  mbedtls_pk_context pk;
  Impl() { mbedtls_pk_init(&pk); }
  ~Impl() { mbedtls_pk_free(&pk); }
};

std::string NodeKeyPath(std::string_view data_dir) {
  return (std::filesystem::path(data_dir) / "node_key.pem").string();
}
std::string NodePublicKeyPath(std::string_view data_dir) {
  return (std::filesystem::path(data_dir) / "node_key.pub").string();
}

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  key_id_ = KeyIdOf(&impl_->pk);
}
SigningKey::~SigningKey() = default;

Result<std::unique_ptr<SigningKey>> SigningKey::Generate() {
  auto impl = std::make_unique<Impl>();
  if (int rc = impl->Seed(); rc != 0) return Internal(MbedError("seeding the DRBG", rc));
  int rc = mbedtls_pk_setup(&impl->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) {
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(impl->pk),
                             mbedtls_ctr_drbg_random, &impl->drbg);
  }
  if (rc != 0) return Internal(MbedError("generating a P-256 key", rc));
  EDGE_RETURN_IF_ERROR(impl->LoadSigner());
  return std::unique_ptr<SigningKey>(new SigningKey(std::move(impl)));
}

Result<std::unique_ptr<SigningKey>> SigningKey::FromPem(std::string_view pem) {
  auto impl = std::make_unique<Impl>();
  if (int rc = impl->Seed(); rc != 0) return Internal(MbedError("seeding the DRBG", rc));
  std::string text = WithNul(pem);
  int rc = mbedtls_pk_parse_key(&impl->pk, reinterpret_cast<const unsigned char*>(text.data()),
                                text.size(), nullptr, 0);
  if (rc != 0) return InvalidArgument(MbedError("not a private key", rc));
  if (!IsP256(&impl->pk)) return InvalidArgument("not an ECDSA P-256 key");
  EDGE_RETURN_IF_ERROR(impl->LoadSigner());
  return std::unique_ptr<SigningKey>(new SigningKey(std::move(impl)));
}

std::string SigningKey::PrivatePem() const {
  unsigned char buf[1024];
  if (mbedtls_pk_write_key_pem(&impl_->pk, buf, sizeof buf) != 0) return {};
  return reinterpret_cast<char*>(buf);
}

std::string SigningKey::PublicPem() const {
  unsigned char buf[1024];
  if (mbedtls_pk_write_pubkey_pem(&impl_->pk, buf, sizeof buf) != 0) return {};
  return reinterpret_cast<char*>(buf);
}

Result<std::string> SigningKey::Sign(std::string_view bytes) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(static_cast<size_t>(EVP_PKEY_get_size(impl_->signer)), '\0');
  size_t len = sig.size();
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->signer) == 1 &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           bytes.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return Internal("signing a digest failed (libcrypto)");
  sig.resize(len);
  return sig;
}

VerifyingKey::VerifyingKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  key_id_ = KeyIdOf(&impl_->pk);
}
VerifyingKey::~VerifyingKey() = default;

Result<std::unique_ptr<VerifyingKey>> VerifyingKey::FromPem(std::string_view pem) {
  auto impl = std::make_unique<Impl>();
  std::string text = WithNul(pem);
  int rc = mbedtls_pk_parse_public_key(
      &impl->pk, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (rc != 0) return InvalidArgument(MbedError("not a public key", rc));
  if (!IsP256(&impl->pk)) return InvalidArgument("not an ECDSA P-256 key");
  return std::unique_ptr<VerifyingKey>(new VerifyingKey(std::move(impl)));
}

bool VerifyingKey::Verify(std::string_view bytes, std::string_view signature_der) const {
  Sha256 hash = Sha256Of(bytes);
  return mbedtls_pk_verify(&impl_->pk, MBEDTLS_MD_SHA256, hash.data(), hash.size(),
                           reinterpret_cast<const unsigned char*>(signature_der.data()),
                           signature_der.size()) == 0;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Internal("cannot read " + path);
  return ss.str();
}

Result<std::unique_ptr<SigningKey>> LoadOrCreateNodeKey(std::string_view data_dir, bool* created) {
  *created = false;
  const std::string path = NodeKeyPath(data_dir);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    EDGE_ASSIGN_OR_RETURN(std::string pem, ReadWholeFile(path));
    Result<std::unique_ptr<SigningKey>> key = SigningKey::FromPem(pem);
    if (!key.ok()) return InvalidArgument(path + ": " + key.status().message());
    return key;
  }
  std::filesystem::create_directories(std::string(data_dir), ec);
  if (ec) return Internal("cannot create " + std::string(data_dir) + ": " + ec.message());
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<SigningKey> key, SigningKey::Generate());
  EDGE_RETURN_IF_ERROR(WriteFileAtomically(NodePublicKeyPath(data_dir), key->PublicPem(), 0644));
  EDGE_RETURN_IF_ERROR(WriteFileAtomically(path, key->PrivatePem(), 0600));
  *created = true;
  return key;
}

}  // namespace edge::ledger
