// The admin listener's `Authorization: Basic` reader (node/net/basic_auth.h). Checks: never
// crashes; accepted credentials have a user-id without ':' and no control characters, and
// encoding them again gives a header that parses back to the same credentials.

#include <mbedtls/base64.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "node/net/basic_auth.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Clean(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto c = edge::net::ParseBasicAuth(in);
  if (!c.ok()) return 0;
  Check(edge::net::IsBasicScheme(in));
  Check(c->user.find(':') == std::string::npos);
  Check(Clean(c->user) && Clean(c->password));
  const std::string plain = c->user + ":" + c->password;
  std::vector<unsigned char> out(plain.size() / 3 * 4 + 8);
  size_t n = 0;
  Check(mbedtls_base64_encode(out.data(), out.size(), &n,
                              reinterpret_cast<const unsigned char*>(plain.data()),
                              plain.size()) == 0);
  auto again = edge::net::ParseBasicAuth("Basic " + std::string(out.begin(), out.begin() + n));
  Check(again.ok());
  Check(again->user == c->user && again->password == c->password);
  return 0;
}
