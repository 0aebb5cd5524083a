#include "ledger/audit_hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace edge::ledger {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

const EVP_MD* Sha256Md() {
  // Fetched once: the implicit fetch behind EVP_sha256() repeats a provider lookup per init.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256(a || b). libcrypto fails here only when it cannot allocate or has no SHA-256 at
// all (a broken installation): a hash the chain would carry wrongly forever is worse than
// stopping the process, so that is fatal.
Sha256 HashParts(std::string_view a, std::string_view b) {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  Sha256 out;
  unsigned int n = 0;
  const EVP_MD* md = Sha256Md();
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      (!a.empty() && EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1) ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1 || n != out.size()) {
    std::abort();
  }
  return out;
}

}  // namespace

// OpenSSL's libcrypto, not mbedTLS, computes these: mbedTLS 2.28 (Debian 12) has only a
// portable C SHA-256 (~40k instructions for a 1 KiB audit line, a third of a request's whole
// cost), while libcrypto uses the CPU's SHA extensions (SHA-NI) or AVX2 where present.
// mbedTLS stays for everything else (TLS, HMAC, ECDSA signatures). The EVP context is reused
// per thread: creating one costs an allocation and a provider lookup.
Sha256 ChainHash(const Sha256& prev, std::string_view bytes) {
  return HashParts(std::string_view(reinterpret_cast<const char*>(prev.data()), prev.size()),
                   bytes);
}

Sha256 Sha256Of(std::string_view bytes) { return HashParts({}, bytes); }

std::string ToHex(const uint8_t* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

std::optional<std::string> BytesFromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::optional<Sha256> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::optional<std::string> bytes = BytesFromHex(hex);
  if (!bytes) return std::nullopt;
  Sha256 out;
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>((*bytes)[i]);
  return out;
}

}  // namespace edge::ledger
