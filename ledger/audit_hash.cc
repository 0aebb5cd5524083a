#include "ledger/audit_hash.h"

#include <mbedtls/sha256.h>

namespace edge::ledger {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Sha256 Sha256Of(std::string_view bytes) {
  Sha256 out;
  // mbedTLS 2.28 software SHA-256 cannot fail; the int return is the 2.x API shape.
  (void)mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                           out.data(), 0);
  return out;
}

Sha256 ChainHash(const Sha256& prev, std::string_view bytes) {
  mbedtls_sha256_context ctx;
  mbedtls_sha256_init(&ctx);
  Sha256 out;
  (void)mbedtls_sha256_starts_ret(&ctx, 0);
  (void)mbedtls_sha256_update_ret(&ctx, prev.data(), prev.size());
  (void)mbedtls_sha256_update_ret(&ctx, reinterpret_cast<const unsigned char*>(bytes.data()),
                                  bytes.size());
  (void)mbedtls_sha256_finish_ret(&ctx, out.data());
  mbedtls_sha256_free(&ctx);
  return out;
}

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
