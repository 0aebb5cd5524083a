#include "node/net/basic_auth.h"

#include <mbedtls/base64.h>

#include <vector>

#include "node/net/http_types.h"

namespace edge::net {
namespace {

constexpr std::string_view kScheme = "Basic";

bool Control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

bool IsBasicScheme(std::string_view header) {
  return header.size() >= kScheme.size() &&
         EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme) &&
         (header.size() == kScheme.size() || header[kScheme.size()] == ' ');
}

Result<BasicCredentials> ParseBasicAuth(std::string_view header) {
  if (header.size() > kMaxBasicHeader) return InvalidArgument("Basic credentials too long");
  if (!IsBasicScheme(header)) return InvalidArgument("not the Basic scheme");
  std::string_view token = header.substr(kScheme.size());
  size_t spaces = token.find_first_not_of(' ');
  if (spaces == 0 || spaces == std::string_view::npos) {
    return InvalidArgument("Basic without credentials");
  }
  token.remove_prefix(spaces);
  // Canonical padded base64 only: the alphabet, then at most two '=' closing a group of 4.
  if (token.size() % 4 != 0) return InvalidArgument("Basic credentials are not padded base64");
  size_t data = token.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  if (data != std::string_view::npos) {
    std::string_view pad = token.substr(data);
    if (pad.size() > 2 || pad.find_first_not_of('=') != std::string_view::npos) {
      return InvalidArgument("Basic credentials are not base64");
    }
  }
  std::vector<unsigned char> out(token.size() / 4 * 3 + 1);
  size_t n = 0;
  int rc = mbedtls_base64_decode(out.data(), out.size(), &n,
                                 reinterpret_cast<const unsigned char*>(token.data()), token.size());
  if (rc != 0) return InvalidArgument("Basic credentials are not base64");
  std::string_view decoded(reinterpret_cast<const char*>(out.data()), n);
  size_t colon = decoded.find(':');
  if (colon == std::string_view::npos) return InvalidArgument("Basic credentials without ':'");
  for (char c : decoded) {
    if (Control(c)) return InvalidArgument("Basic credentials hold a control character");
  }
  return BasicCredentials{std::string(decoded.substr(0, colon)),
                          std::string(decoded.substr(colon + 1))};
}

}  // namespace edge::net
