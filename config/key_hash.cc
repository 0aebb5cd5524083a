#include "config/key_hash.h"

#include <mbedtls/sha256.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace edge::config {

namespace {

constexpr std::string_view kPrefix = "sk-edge-";
constexpr size_t kKeyChars = 40;
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void KernelRandom(uint8_t* buf, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(buf, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::perror("getrandom");
      std::abort();
    }
    buf += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[32];
  // Cannot fail for SHA-256 (no hardware accelerator in Debian's build); the return is the
  // mbedTLS 2.x API shape.
  (void)mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                           digest, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string GenerateApiKey(const std::function<void(uint8_t*, size_t)>& fill) {
  std::string key(kPrefix);
  uint8_t buf[64];
  while (key.size() < kPrefix.size() + kKeyChars) {
    fill(buf, sizeof buf);
    for (uint8_t b : buf) {
      // 248 = 4 * 62: bytes above it are dropped so every character is equally likely.
      if (b >= 248) continue;
      key += kBase62[b % 62];
      if (key.size() == kPrefix.size() + kKeyChars) break;
    }
  }
  return key;
}

std::string GenerateApiKey() { return GenerateApiKey(KernelRandom); }

}  // namespace edge::config
