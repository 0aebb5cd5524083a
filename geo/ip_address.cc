// CidrSet: the trusted proxies' networks (common/ip_address.h parses them).

#include <cstring>

#include "geo/geo.h"

namespace edge::geo {

Status CidrSet::Add(std::string_view cidr) {
  Net n;
  EDGE_RETURN_IF_ERROR(ParseCidr(cidr, &n.base, &n.prefix));
  nets_.push_back(n);
  return Status::Ok();
}

bool CidrSet::Contains(const IpAddress& a) const {
  if (!a.valid()) return false;
  for (const Net& n : nets_) {
    if (n.base.family != a.family) continue;
    size_t whole = static_cast<size_t>(n.prefix / 8);
    if (std::memcmp(a.bytes.data(), n.base.bytes.data(), whole) != 0) continue;
    int rest = n.prefix % 8;
    if (rest == 0) return true;
    auto mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((a.bytes[whole] & mask) == n.base.bytes[whole]) return true;
  }
  return false;
}

}  // namespace edge::geo
