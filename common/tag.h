#pragma once

#include <string_view>

namespace edge {

// A tag value (team, feature, env, a free tag's name or value, ids shown in headers): 1-64
// characters of [A-Za-z0-9._:-]. Config, request headers and spend queries share this rule
// because the values become ledger keys, metric labels and header values.
bool IsTagValue(std::string_view s);

}  // namespace edge
