#pragma once

// Known model prices (config/prices.yaml, compiled in; ledger.prices replaces it) and how a
// deployment finds its price. The list's format and the lookup order are described at the
// top of config/prices.yaml.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/price.h"
#include "common/result.h"

namespace edge::config {

struct PriceList {
  std::string taken;  // when the list was taken, as written in it
  std::map<std::string, TokenPrice, std::less<>> models;
};

// The text of config/prices.yaml as built into the binary.
extern const char kBuiltInPricesYaml[];

// Parses a price list. Errors name the file, line and key, one per line.
Result<PriceList> ParsePriceList(const std::string& yaml, const std::string& path);

// The built-in list, parsed once (thread-safe).
const PriceList& BuiltInPrices();

// The names a deployment's price is looked up by, most specific first.
std::vector<std::string> PriceLookupNames(std::string_view provider, std::string_view model);

}  // namespace edge::config
