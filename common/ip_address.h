#pragma once

// IP addresses and CIDR networks as text: the one syntax rule shared by the config checker
// (geo.trusted_proxies at its line) and geo/ (trusted proxies, forwarded hops, lookups). Pure
// address arithmetic over libc's inet_pton/inet_ntop: no I/O, ParseIp does not allocate.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace edge {

// An IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as the IPv4 address
// it maps, so "1.2.3.4" and "::ffff:1.2.3.4" are the same caller for every rule.
struct IpAddress {
  enum class Family : uint8_t { kNone, kV4, kV6 };
  Family family = Family::kNone;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  bool valid() const { return family != Family::kNone; }
  bool operator==(const IpAddress&) const = default;
};

// "192.0.2.1" (as inet_pton reads it: four decimal parts 0-255, no leading zeros) or
// "2001:db8::1" (no brackets, port or zone). False, *out untouched, otherwise.
bool ParseIp(std::string_view text, IpAddress* out);
// From a socket address (AF_INET or AF_INET6); an invalid address for anything else.
IpAddress FromSockaddr(const sockaddr* sa);
// "192.0.2.1", "2001:db8::1"; "" for an invalid address.
std::string ToString(const IpAddress& a);

// A network: "10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104" (= the IPv4 network
// 10.0.0.0/8; an IPv4-mapped prefix below 96 is an error), or a bare address (one host).
// On success *base is the address with the host bits past *prefix cleared (as routing tables
// ignore them) and *prefix is 0-32 (IPv4) or 0-128 (IPv6). Otherwise kInvalidArgument with
// a message that quotes `cidr` and says what is wrong with it.
Status ParseCidr(std::string_view cidr, IpAddress* base, int* prefix);

}  // namespace edge
