#pragma once

// HTTP Basic credentials (RFC 7617): `Authorization: Basic base64(user-id ":" password)`.
// The admin listener accepts them so that a person can open GET /dashboard in a browser,
// which asks for a password after a 401 carrying `WWW-Authenticate: Basic realm="..."`.
// The header is untrusted: anything that is not exactly the RFC's form is an error.

#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::net {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Parses one Authorization header value: the scheme "Basic" (any case), one or more spaces,
// then canonical padded base64 (RFC 4648 section 4, decoded with mbedTLS) of
// `user-id ":" password`, where the user-id is everything before the first colon and neither
// part holds a control character. At most kMaxBasicHeader bytes. InvalidArgument otherwise.
inline constexpr size_t kMaxBasicHeader = 1024;
Result<BasicCredentials> ParseBasicAuth(std::string_view header);

// True when `header` starts with the Basic scheme (so a malformed one is reported as such).
bool IsBasicScheme(std::string_view header);

}  // namespace edge::net
