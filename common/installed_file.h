#pragma once

// Files the node reads at run time that are installed beside it rather than compiled in (the
// built-in GeoIP database, the dashboard's chart library), found the same way whether the
// node runs from the build tree, from an installed prefix, or as a copied binary on a host
// that ran scripts/setup.sh.

#include <string>
#include <string_view>

#include "common/result.h"

namespace edge {

// The first readable of: $`env_var` (when set and not empty), <dir of the executable>/../
// share/llm-edge/`name`, `build_tree_path` (when not empty), /usr/local/share/llm-edge/`name`,
// /usr/share/llm-edge/`name`. NotFound("tried A, B, ...") when none is.
Result<std::string> FindInstalledFile(std::string_view name, const char* env_var,
                                      std::string_view build_tree_path);

}  // namespace edge
