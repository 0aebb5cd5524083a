#pragma once

// Syntax checks for the network addresses a config holds. Internal to config/. Nothing here
// resolves names or touches the network.

#include <string>
#include <string_view>

#include "common/status.h"

namespace edge::config {

// "host:port" where host is IPv4, a host name or [IPv6], and port is min_port..65535.
Status CheckHostPort(std::string_view s, int min_port);

// An http:// or https:// URL with a host, an optional port and path, and no user info,
// query or fragment (the node appends its own paths). On success *normalized is the URL
// without trailing '/'.
Status CheckHttpUrl(std::string_view s, std::string* normalized);

// "addr/prefix" or a bare address (IPv4 or IPv6), by common/ip_address.h's ParseCidr: the
// rule geo/ applies to geo.trusted_proxies, so a value geo would refuse is reported here, at
// its line.
Status CheckCidr(std::string_view s);

}  // namespace edge::config
