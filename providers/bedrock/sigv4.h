#pragma once

// AWS Signature Version 4 (header signing) over the exact bytes of one HTTP request, with
// mbedTLS's SHA-256 and HMAC-SHA256. Pure functions: the time is an argument.
//
// The path and query are taken as they go on the wire (already percent-encoded where they
// need to be); the canonical forms are derived from them as AWS's SDKs do for every
// service but S3: the path is normalized (empty and "." segments dropped, ".." applied)
// and URI-encoded once more, so a model id sent as `v1%3A0` is signed as `v1%253A0`; the
// query parameters are decoded, re-encoded with SigV4's rules and sorted.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace edge::providers::bedrock {

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

struct SigV4Scope {
  std::string region;   // "eu-central-1"
  std::string service;  // "bedrock"
  int64_t unix_s = 0;   // the signing time; X-Amz-Date and the scope's date come from it
};

// The request as it is sent. `headers` are the headers to sign, names in any case and
// duplicates allowed (their values are joined with ',' in order); Host must be among them.
struct SigV4Request {
  std::string_view method;
  std::string_view path;   // "/model/eu.anthropic.claude-sonnet-4-6-v1%3A0/converse"
  std::string_view query;  // without the '?'; "" when none
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256_hex;  // hex SHA-256 of the body (or "UNSIGNED-PAYLOAD")
};

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

// Each byte other than an unreserved character (A-Z a-z 0-9 - . _ ~), and '/' unless
// keep_slash, as %XX (upper-case hex): SigV4's URI encoding, also right for a path segment.
std::string UriEncode(std::string_view s, bool keep_slash = false);

// "20150830T123600Z" (UTC) for a Unix time.
std::string AmzDate(int64_t unix_s);

// The SigV4 canonical URI of a path as sent: normalized, then each byte other than an
// unreserved character (A-Z a-z 0-9 - . _ ~) or '/' percent-encoded (upper-case hex).
std::string CanonicalUri(std::string_view path);

// The canonical query string: parameters split on '&' and '=', percent-decoded, encoded
// again with SigV4's rules, sorted by name then value, joined with '&'.
std::string CanonicalQuery(std::string_view query);

// Each step of the algorithm, exposed for AWS's published test vectors.
std::string CanonicalRequest(const SigV4Request& request);
// "content-type;host;x-amz-date", the lower-cased, sorted, de-duplicated header names.
std::string SignedHeaders(const SigV4Request& request);
std::string StringToSign(const SigV4Scope& scope, std::string_view canonical_request);
// Lower-case hex HMAC-SHA256 signature of the string to sign.
std::string Signature(const SigV4Scope& scope, std::string_view secret_access_key,
                      std::string_view string_to_sign);

// The value of the Authorization header for `request`:
// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
// SignedHeaders=..., Signature=...". The request's headers must already hold x-amz-date
// (and x-amz-security-token when a session token is used): they are signed as given.
std::string Authorization(const SigV4Request& request, const SigV4Scope& scope,
                          const SigV4Credentials& credentials);

// Signs a request whose signed headers are Host (`host`, exactly as the client will send
// it), `extra_headers` and the ones added here: X-Amz-Date, X-Amz-Content-Sha256 and, with
// a session token, X-Amz-Security-Token. Appends those and Authorization to `out` (not
// Host, which the HTTP client adds). FailedPrecondition when the credentials, the region or
// the host are missing.
Status SignRequest(std::string_view method, std::string_view path_and_query, std::string_view host,
                   std::string_view body,
                   const std::vector<std::pair<std::string, std::string>>& extra_headers,
                   const SigV4Scope& scope, const SigV4Credentials& credentials,
                   std::vector<std::pair<std::string, std::string>>* out);

}  // namespace edge::providers::bedrock
