#include "providers/bedrock/sigv4.h"

#include <mbedtls/md.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace edge::providers::bedrock {
namespace {

constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";
constexpr char kHex[] = "0123456789abcdef";
constexpr char kUpperHex[] = "0123456789ABCDEF";

using Digest = std::string;  // 32 raw bytes

const mbedtls_md_info_t* Sha256Info() { return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256); }

Digest Hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  // Cannot fail for SHA-256 with valid pointers: the only errors are bad input parameters.
  mbedtls_md_hmac(Sha256Info(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return Digest(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void PercentEncode(std::string_view in, bool keep_slash, std::string* out) {
  for (unsigned char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kUpperHex[c >> 4]);
      out->push_back(kUpperHex[c & 15]);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Empty and "." segments dropped, ".." removes the one before; a trailing slash is kept.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view seg = path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string out;
  for (std::string_view seg : segments) out.append("/").append(seg);
  if (out.empty() || (!path.empty() && path.back() == '/')) out.push_back('/');
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Leading and trailing spaces removed, runs of spaces (and tabs) made one space.
std::string TrimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// (lower-case name, canonical value) sorted by name, duplicates joined with ','.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(Lower(name), TrimValue(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> joined;
  for (auto& h : headers) {
    if (!joined.empty() && joined.back().first == h.first) {
      joined.back().second.append(",").append(h.second);
    } else {
      joined.push_back(std::move(h));
    }
  }
  return joined;
}

std::string DateOf(int64_t unix_s) { return AmzDate(unix_s).substr(0, 8); }

std::string CredentialScope(const SigV4Scope& scope) {
  return DateOf(scope.unix_s) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char out[32];
  mbedtls_md(Sha256Info(), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return ToHex(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  PercentEncode(s, keep_slash, &out);
  return out;
}

std::string AmzDate(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string CanonicalUri(std::string_view path) {
  std::string out;
  PercentEncode(NormalizePath(path), /*keep_slash=*/true, &out);
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view param = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    std::string name, value;
    PercentEncode(PercentDecode(param.substr(0, eq)), false, &name);
    if (eq != std::string_view::npos)
      PercentEncode(PercentDecode(param.substr(eq + 1)), false, &value);
    params.emplace_back(std::move(name), std::move(value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string SignedHeaders(const SigV4Request& request) {
  std::string out;
  for (const auto& [name, value] : CanonicalHeaders(request)) {
    if (!out.empty()) out.push_back(';');
    out.append(name);
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& request) {
  std::string out(request.method);
  out.append("\n").append(CanonicalUri(request.path));
  out.append("\n").append(CanonicalQuery(request.query)).append("\n");
  std::string signed_headers;
  for (const auto& [name, value] : CanonicalHeaders(request)) {
    out.append(name).append(":").append(value).append("\n");
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers.append(name);
  }
  out.append("\n").append(signed_headers).append("\n").append(request.payload_sha256_hex);
  return out;
}

std::string StringToSign(const SigV4Scope& scope, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(AmzDate(scope.unix_s));
  out.append("\n").append(CredentialScope(scope));
  out.append("\n").append(Sha256Hex(canonical_request));
  return out;
}

std::string Signature(const SigV4Scope& scope, std::string_view secret_access_key,
                      std::string_view string_to_sign) {
  const Digest date_key = Hmac("AWS4" + std::string(secret_access_key), DateOf(scope.unix_s));
  const Digest region_key = Hmac(date_key, scope.region);
  const Digest service_key = Hmac(region_key, scope.service);
  const Digest signing_key = Hmac(service_key, "aws4_request");
  return ToHex(Hmac(signing_key, string_to_sign));
}

std::string Authorization(const SigV4Request& request, const SigV4Scope& scope,
                          const SigV4Credentials& credentials) {
  const std::string string_to_sign = StringToSign(scope, CanonicalRequest(request));
  std::string out(kAlgorithm);
  out.append(" Credential=").append(credentials.access_key_id).append("/");
  out.append(CredentialScope(scope));
  out.append(", SignedHeaders=").append(SignedHeaders(request));
  out.append(", Signature=")
      .append(Signature(scope, credentials.secret_access_key, string_to_sign));
  return out;
}

Status SignRequest(std::string_view method, std::string_view path_and_query, std::string_view host,
                   std::string_view body,
                   const std::vector<std::pair<std::string, std::string>>& extra_headers,
                   const SigV4Scope& scope, const SigV4Credentials& credentials,
                   std::vector<std::pair<std::string, std::string>>* out) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return {Code::kFailedPrecondition, "AWS credentials are missing for SigV4 signing"};
  }
  if (scope.region.empty()) {
    return {Code::kFailedPrecondition, "the AWS region is missing for SigV4 signing"};
  }
  if (host.empty()) return {Code::kFailedPrecondition, "the host is missing for SigV4 signing"};
  const size_t q = path_and_query.find('?');
  const std::string payload_hash = Sha256Hex(body);
  SigV4Request request;
  request.method = method;
  request.path = path_and_query.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : path_and_query.substr(q + 1);
  request.payload_sha256_hex = payload_hash;
  request.headers = extra_headers;
  request.headers.emplace_back("Host", std::string(host));
  // Added to the request as well as signed: the server recomputes the signature from them.
  std::vector<std::pair<std::string, std::string>> added = {{"X-Amz-Date", AmzDate(scope.unix_s)},
                                                            {"X-Amz-Content-Sha256", payload_hash}};
  if (!credentials.session_token.empty()) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request.headers.insert(request.headers.end(), added.begin(), added.end());
  const std::string authorization = Authorization(request, scope, credentials);
  out->insert(out->end(), added.begin(), added.end());
  out->emplace_back("Authorization", authorization);
  return Status::Ok();
}

}  // namespace edge::providers::bedrock
