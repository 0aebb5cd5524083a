// IpAddress, ParseIp and ParseCidr: the address syntax shared by config/ and geo/.

#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace edge {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// IPv4-mapped IPv6 becomes the IPv4 address it carries.
IpAddress FromV6Bytes(const uint8_t* b) {
  IpAddress a;
  if (std::memcmp(b, kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    a.family = IpAddress::Family::kV4;
    std::memcpy(a.bytes.data(), b + 12, 4);
  } else {
    a.family = IpAddress::Family::kV6;
    std::memcpy(a.bytes.data(), b, 16);
  }
  return a;
}

// Keeps the first `prefix` bits of `a`, clears the rest.
IpAddress Masked(IpAddress a, int prefix) {
  for (int i = 0; i < 16; ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    a.bytes[i] &= keep <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
  }
  return a;
}

int MaxPrefix(const IpAddress& a) { return a.family == IpAddress::Family::kV4 ? 32 : 128; }

// "'<cidr>': why" (built left to right: gcc 12 warns falsely on "'" + std::string).
Status Bad(std::string_view cidr, std::string_view why) {
  std::string m = "'";
  m.append(cidr).append("'").append(why);
  return InvalidArgument(std::move(m));
}

// Dotted-quad IPv4 as inet_pton(AF_INET) reads it (four decimal parts 0-255, no leading
// zeros, nothing else), without its copy into a C string: hops are parsed on every request.
bool ParseV4(std::string_view s, uint8_t* out) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
    out[part] = static_cast<uint8_t>(value);
  }
  return i == s.size();
}

}  // namespace

bool ParseIp(std::string_view text, IpAddress* out) {
  // inet_pton wants a C string; the longest textual IPv6 address is 45 characters.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  uint8_t bytes[16];
  if (text.find(':') == std::string_view::npos) {
    if (!ParseV4(text, bytes)) return false;
    out->family = IpAddress::Family::kV4;
    out->bytes = {};
    std::memcpy(out->bytes.data(), bytes, 4);
    return true;
  }
  if (std::memchr(text.data(), 0, text.size()) != nullptr) return false;  // "::1\0junk"
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = 0;
  if (inet_pton(AF_INET6, buf, bytes) != 1) return false;
  *out = FromV6Bytes(bytes);
  return true;
}

IpAddress FromSockaddr(const sockaddr* sa) {
  IpAddress a;
  if (sa == nullptr) return a;
  if (sa->sa_family == AF_INET) {
    a.family = IpAddress::Family::kV4;
    std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    a = FromV6Bytes(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr.s6_addr);
  }
  return a;
}

std::string ToString(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  if (a.family == IpAddress::Family::kV4) {
    // Every audited request formats its caller: glibc's inet_ntop goes through sprintf for
    // IPv4 (~1.8k instructions); four to_chars are a tenth of that, same text.
    std::string out;
    out.reserve(15);
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      char digits[3];
      out.append(digits, std::to_chars(digits, digits + 3, unsigned{a.bytes[i]}).ptr);
    }
    return out;
  }
  if (a.family == IpAddress::Family::kV6) {
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
  } else {
    return {};
  }
  return buf;
}

Status ParseCidr(std::string_view cidr, IpAddress* base_out, int* prefix_out) {
  std::string_view addr = cidr;
  int prefix = -1;
  size_t slash = cidr.find('/');
  if (slash != std::string_view::npos) {
    addr = cidr.substr(0, slash);
    std::string_view digits = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0) {
      return Bad(cidr, ": the prefix length must be a number");
    }
  }
  IpAddress base;
  if (!ParseIp(addr, &base)) {
    return Bad(cidr, " is not an IP address or CIDR network");
  }
  // An IPv4-mapped network ::ffff:a.b.c.d/n is the IPv4 network a.b.c.d/(n-96).
  bool mapped = base.family == IpAddress::Family::kV4 && addr.find(':') != std::string_view::npos;
  if (mapped && prefix >= 0) {
    if (prefix < 96) {
      return Bad(cidr, ": an IPv4-mapped network needs a prefix of at least 96");
    }
    prefix -= 96;
  }
  if (prefix < 0) prefix = MaxPrefix(base);
  if (prefix > MaxPrefix(base)) {
    return Bad(cidr, MaxPrefix(base) == 32 ? ": the prefix length is at most 32"
                                           : ": the prefix length is at most 128");
  }
  *base_out = Masked(base, prefix);
  *prefix_out = prefix;
  return Status::Ok();
}

}  // namespace edge
