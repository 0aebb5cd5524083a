// geo::Database::Lookup and CidrSet with arbitrary addresses. The input is read as a raw
// address (the first byte picks IPv4 or IPv6, then 4 or 16 bytes), and the whole input as
// text for ParseIp and CidrSet::Add. Checks: never crashes; a country is empty or two capital
// letters; a well-formed database reports no error; an IPv4 address and its IPv4-mapped IPv6
// form are the same caller with the same country; a network contains its own base address;
// IPv4 text parses exactly as inet_pton(AF_INET) parses it.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "geo/geo.h"

namespace {

using edge::geo::CidrSet;
using edge::geo::Country;
using edge::geo::Database;
using edge::geo::IpAddress;

void Check(bool ok) {
  if (!ok) std::abort();
}

const Database& Db() {
  static const std::shared_ptr<const Database> db = [] {
    auto opened = Database::Open(std::string(EDGE_GEO_TEST_DIR) + "/geoip2-country.mmdb");
    Check(opened.ok());
    return *opened;
  }();
  return *db;
}

Country Lookup(const IpAddress& a) {
  int err = -1;
  Country c = Db().Lookup(a, &err);
  Check(err == 0);
  Check(c.empty() || (c.code[0] >= 'A' && c.code[0] <= 'Z' && c.code[1] >= 'A' && c.code[1] <= 'Z'));
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool v4 = data[0] & 1;
  size_t need = v4 ? 4 : 16;
  if (size >= 1 + need) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    if (v4) {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      std::memcpy(&in.sin_addr, data + 1, 4);
      IpAddress a = edge::geo::FromSockaddr(reinterpret_cast<const sockaddr*>(&in));
      in6.sin6_addr.s6_addr[10] = 0xff;
      in6.sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&in6.sin6_addr.s6_addr[12], data + 1, 4);
      IpAddress mapped = edge::geo::FromSockaddr(reinterpret_cast<const sockaddr*>(&in6));
      Check(a == mapped);
      Check(Lookup(a).view() == Lookup(mapped).view());
    } else {
      std::memcpy(&in6.sin6_addr, data + 1, 16);
      IpAddress a = edge::geo::FromSockaddr(reinterpret_cast<const sockaddr*>(&in6));
      Check(a.valid());
      Lookup(a);
      IpAddress back;
      Check(edge::geo::ParseIp(edge::geo::ToString(a), &back) && back == a);
    }
  }
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  IpAddress parsed;
  bool ok = edge::geo::ParseIp(text, &parsed);
  if (ok) Lookup(parsed);
  // ParseIp reads IPv4 itself: it must accept exactly what inet_pton does.
  if (text.size() < 64 && text.find(':') == std::string_view::npos &&
      text.find('\0') == std::string_view::npos) {
    std::string c_text(text);
    uint8_t want[4];
    bool pton = inet_pton(AF_INET, c_text.c_str(), want) == 1;
    Check(ok == pton);
    if (ok) Check(std::memcmp(parsed.bytes.data(), want, 4) == 0);
  }
  CidrSet set;
  if (set.Add(text).ok()) {
    std::string_view base = text.substr(0, text.find('/'));
    IpAddress b;
    Check(edge::geo::ParseIp(base, &b));
    Check(set.Contains(b));  // host bits are masked on both sides
  }
  return 0;
}
