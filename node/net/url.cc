// ParseUrl: the base URLs of deployments (`api_base`), checked once at config load so that
// the hot path never meets a malformed origin.

#include <uv.h>

#include <charconv>
#include <string>
#include <string_view>

#include "node/net/upstream_client.h"

namespace edge::net {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// Letters, digits, '-', '.', '_' : what DNS names (and IPv4 literals) are made of.
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

Status BadUrl(std::string_view url, std::string_view why) {
  std::string m = "invalid URL \"";
  m.append(url);
  m += "\": ";
  m.append(why);
  return InvalidArgument(std::move(m));
}

// Splits "host", "host:port", "[v6]" or "[v6]:port" into `origin`.
Status ParseAuthority(std::string_view url, std::string_view authority, Origin* origin) {
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(url, "credentials in the URL are not supported");
  }
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "missing ']' after IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return BadUrl(url, "unexpected text after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return BadUrl(url, "empty port");
    }
    bracketed = true;
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return BadUrl(url, "empty port");
    }
  }
  if (host.empty()) return BadUrl(url, "missing host");
  origin->host.clear();
  for (char c : host) origin->host += Lower(c);
  if (bracketed) {
    unsigned char buf[16];
    if (uv_inet_pton(AF_INET6, origin->host.c_str(), buf) != 0) {
      return BadUrl(url, "invalid IPv6 address");
    }
  } else {
    for (char c : origin->host) {
      if (!IsNameChar(c)) return BadUrl(url, "invalid character in host");
    }
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return BadUrl(url, "invalid port");
    }
    origin->port = static_cast<uint16_t>(value);
  }
  return Status::Ok();
}

}  // namespace

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (StartsWithIgnoreCase(url, "https://")) {
    out.origin.https = true;
    out.origin.port = 443;
    rest = url.substr(8);
  } else if (StartsWithIgnoreCase(url, "http://")) {
    out.origin.port = 80;
    rest = url.substr(7);
  } else {
    return BadUrl(url, "scheme must be http:// or https://");
  }
  for (char c : rest) {
    // Control characters and spaces would end up in the request line or Host header.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return BadUrl(url, "contains a space or control character");
    }
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return BadUrl(url, "a base URL takes no query or fragment");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  EDGE_RETURN_IF_ERROR(ParseAuthority(url, authority, &out.origin));
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    // Callers append "/chat/completions" and the like, so the prefix keeps no trailing slash.
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path.assign(path);
  }
  return out;
}

}  // namespace edge::net
