#include "config/net_addr.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/ip_address.h"

namespace edge::config {

namespace {

bool IsIPv4(const std::string& s) {
  in_addr a;
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool IsIPv6(const std::string& s) {
  in6_addr a;
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// RFC 1123 labels; '_' is allowed too because container and service names use it.
bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t label = 0;
  bool all_numeric = true;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
      continue;
    }
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    if (!alpha && !(c >= '0' && c <= '9')) return false;
    if (alpha) all_numeric = false;
    ++label;
  }
  // "999.1.1.1" is a broken IPv4 address, not a name.
  return !all_numeric;
}

Status CheckHost(std::string_view host) {
  if (host.empty()) return InvalidArgument("the host is missing");
  if (host.front() == '[') {
    if (host.back() != ']' || !IsIPv6(std::string(host.substr(1, host.size() - 2)))) {
      return InvalidArgument("'" + std::string(host) + "' is not a valid [IPv6] address");
    }
    return Status::Ok();
  }
  if (IsIPv4(std::string(host)) || IsHostName(host)) return Status::Ok();
  if (host.find(':') != std::string_view::npos) {
    return InvalidArgument("an IPv6 address must be written in brackets: [" + std::string(host) +
                           "]");
  }
  return InvalidArgument("'" + std::string(host) + "' is not a valid IPv4 address or host name");
}

Status CheckPort(std::string_view port, int min_port) {
  int v = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || v < min_port ||
      v > 65535) {
    return InvalidArgument("the port must be a number from " + std::to_string(min_port) +
                           " to 65535, not '" + std::string(port) + "'");
  }
  return Status::Ok();
}

}  // namespace

Status CheckHostPort(std::string_view s, int min_port) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("must be \"host:port\", not '" + std::string(s) + "'");
  }
  std::string_view host = s.substr(0, colon);
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return InvalidArgument("an IPv6 address must be written in brackets: \"[::1]:8080\"");
  }
  EDGE_RETURN_IF_ERROR(CheckHost(host));
  return CheckPort(s.substr(colon + 1), min_port);
}

Status CheckHttpUrl(std::string_view s, std::string* normalized) {
  size_t scheme_end = s.find("://");
  std::string scheme(s.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument("must be an http:// or https:// URL, not '" + std::string(s) + "'");
  }
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return InvalidArgument("must not contain spaces or controls");
  }
  std::string_view rest = s.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument("must not have a query or fragment: the node appends its own paths");
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("must not carry credentials; use api_key");
  }
  std::string_view host = authority;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    EDGE_RETURN_IF_ERROR(CheckPort(authority.substr(colon + 1), 1));
  }
  if (host.empty()) return InvalidArgument("the URL has no host: '" + std::string(s) + "'");
  EDGE_RETURN_IF_ERROR(CheckHost(host));
  std::string_view out = s;
  while (out.size() > scheme_end + 3 + authority.size() && out.back() == '/') {
    out.remove_suffix(1);
  }
  *normalized = std::string(out);
  return Status::Ok();
}

Status CheckCidr(std::string_view s) {
  IpAddress base;
  int prefix = 0;
  return ParseCidr(s, &base, &prefix);  // geo's own rule, so check and serve agree
}

}  // namespace edge::config
