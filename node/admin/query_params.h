#pragma once

// The query string of an admin request (`/admin/spend?group_by=team&period=2026-12`):
// name=value pairs separated by '&', percent-encoded ('+' is a space). Untrusted input:
// tested in query_params_test.cc and fuzzed by tests/fuzz/admin_query_fuzz.cc.

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::admin {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// Parses the query of `target` (what follows the first '?'). InvalidArgument for a bad
// percent escape, a repeated name, or more than 32 parameters.
Result<QueryParams> ParseQuery(std::string_view target);

}  // namespace edge::admin
