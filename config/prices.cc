#include "config/prices.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "config/loader.h"
#include "config/reader.h"
#include "config/yaml_tree.h"

namespace edge::config {
namespace {

// USD per 1M tokens, written as a decimal, as micro-USD per 1M tokens; -1 when invalid.
int64_t MicrosPerMillion(const YamlNode& n) {
  if (!n.is_scalar() || n.scalar.empty()) return -1;
  char* end = nullptr;
  double v = std::strtod(n.scalar.c_str(), &end);
  if (end != n.scalar.c_str() + n.scalar.size() || !std::isfinite(v) || v < 0 || v > 1e6) {
    return -1;
  }
  return std::llround(v * 1e6);
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "name-20250514" -> "name", "name-2024-08-06" -> "name"; else unchanged.
std::string_view StripDate(std::string_view m) {
  if (m.size() > 9 && m[m.size() - 9] == '-' && IsDigits(m.substr(m.size() - 8))) {
    return m.substr(0, m.size() - 9);
  }
  if (m.size() > 11 && m[m.size() - 11] == '-' && IsDigits(m.substr(m.size() - 10, 4)) &&
      m[m.size() - 6] == '-' && IsDigits(m.substr(m.size() - 5, 2)) && m[m.size() - 3] == '-' &&
      IsDigits(m.substr(m.size() - 2))) {
    return m.substr(0, m.size() - 11);
  }
  return m;
}

// Bedrock "-v1:0" / "-v2" -> "".
std::string_view StripBedrockVersion(std::string_view m) {
  size_t v = m.rfind("-v");
  if (v == std::string_view::npos) return m;
  std::string_view rest = m.substr(v + 2);
  size_t colon = rest.find(':');
  if (!IsDigits(rest.substr(0, colon))) return m;
  if (colon != std::string_view::npos && !IsDigits(rest.substr(colon + 1))) return m;
  return m.substr(0, v);
}

std::string_view StripPrefix(std::string_view m, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (m.substr(0, p.size()) == p) return m.substr(p.size());
  }
  return m;
}

}  // namespace

Result<PriceList> ParsePriceList(const std::string& yaml, const std::string& path) {
  std::vector<ConfigError> errors;
  Errors e(path, &errors);
  YamlNode root;
  int line = 1;
  Status parsed = ParseYaml(yaml, &root, &line);
  PriceList out;
  if (!parsed.ok()) {
    e.Add(line, "", parsed.message());
  } else {
    MapReader top(e, &root, "", 1);
    top.String("taken", &out.taken);
    const YamlNode* models = top.Get("models");
    top.RejectUnknown();
    if (models == nullptr || !models->is_map()) {
      e.Add(top.LineOf("models"), "models", "must be a mapping of model name to prices");
    } else {
      for (const YamlEntry& m : models->entries) {
        std::string where = JoinPath("models", m.key);
        if (!m.value.is_map()) {
          e.Add(m.key_line, where, "must be {input, output[, cached_input]}");
          continue;
        }
        TokenPrice p;
        bool ok = true;
        auto field = [&](std::string_view key, int64_t* v, bool required) {
          const YamlNode* n = m.value.Find(key);
          if (n == nullptr) {
            if (required) {
              e.Add(m.key_line, JoinPath(where, key), "is required");
              ok = false;
            }
            return false;
          }
          *v = MicrosPerMillion(*n);
          if (*v < 0) {
            e.Add(n->line, JoinPath(where, key),
                  "must be USD per 1M tokens: a number from 0 to 1000000");
            ok = false;
            return false;
          }
          return true;
        };
        field("input", &p.input, true);
        field("output", &p.output, true);
        if (!field("cached_input", &p.cached_input, false)) p.cached_input = p.input;
        for (const YamlEntry& f : m.value.entries) {
          if (f.key != "input" && f.key != "output" && f.key != "cached_input") {
            e.Add(f.key_line, JoinPath(where, f.key), "unknown key");
            ok = false;
          }
        }
        if (ok) out.models.emplace(m.key, p);
      }
    }
  }
  if (errors.empty()) return out;
  std::string msg;
  for (const ConfigError& err : errors) {
    if (!msg.empty()) msg += '\n';
    msg += err.ToString();
  }
  return InvalidArgument(msg);
}

const PriceList& BuiltInPrices() {
  static const PriceList* list = [] {
    Result<PriceList> r = ParsePriceList(kBuiltInPricesYaml, "config/prices.yaml");
    // The built-in text is checked by prices_test; a broken one is a build defect.
    if (!r.ok()) std::abort();
    return new PriceList(std::move(r).value());
  }();
  return *list;
}

std::vector<std::string> PriceLookupNames(std::string_view provider, std::string_view model) {
  std::vector<std::string> names;
  auto add = [&](std::string_view n) {
    if (n.empty()) return;
    for (const std::string& have : names) {
      if (have == n) return;
    }
    names.emplace_back(n);
  };
  add(std::string(provider) + "/" + std::string(model));
  add(model);
  std::string_view m = model;
  m = StripDate(m);
  add(m);
  m = StripPrefix(m, {"eu.", "us.", "apac.", "global.", "us-gov."});
  add(m);
  m = StripBedrockVersion(m);
  add(m);
  m = StripDate(m);
  add(m);
  m = StripPrefix(m, {"anthropic.", "amazon.", "meta.", "mistral.", "cohere."});
  add(m);
  m = StripDate(StripPrefix(m, {"models/"}));
  add(m);
  if (m.size() > 7 && m.substr(m.size() - 7) == "-latest") add(m.substr(0, m.size() - 7));
  return names;
}

// Each deployment's price: model_info's per-token prices where given, the list's entry for
// the rest. Unpriced deployments are not an error (`check` lists them).
void Loader::ResolvePrices() {
  const PriceList* list = &BuiltInPrices();
  PriceList from_file;
  if (!cfg_->ledger.prices.empty()) {
    std::ifstream in(cfg_->ledger.prices, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<PriceList> r = ParsePriceList(text, cfg_->ledger.prices);
    if (!r.ok()) {
      e_.Add(1, "ledger.prices", r.status().message());
      return;
    }
    from_file = std::move(r).value();
    list = &from_file;
  }
  cfg_->prices_taken = list->taken;
  for (Deployment& d : cfg_->model_list) {
    const TokenPrice* listed = nullptr;
    for (const std::string& name : PriceLookupNames(d.provider, d.upstream_model)) {
      auto it = list->models.find(name);
      if (it != list->models.end()) {
        listed = &it->second;
        d.price_name = name;
        break;
      }
    }
    const bool has_input = d.input_cost_per_token.has_value();
    const bool has_output = d.output_cost_per_token.has_value();
    if (!has_input && !has_output) {
      if (listed != nullptr) d.price = *listed;
      continue;
    }
    if (listed == nullptr && !(has_input && has_output)) {
      d.price_name.clear();
      continue;  // half a price is no price
    }
    TokenPrice p = listed != nullptr ? *listed : TokenPrice{};
    if (has_input) {
      p.input = PerTokenUsdToMicrosPerMillion(*d.input_cost_per_token);
      if (listed == nullptr) p.cached_input = p.input;
    }
    if (has_output) p.output = PerTokenUsdToMicrosPerMillion(*d.output_cost_per_token);
    if (p.input < 0 || p.output < 0) {
      e_.Add(d.line, "model_list.model_info", "cost per token is out of range");
      continue;
    }
    d.price = p;
    d.price_name = "model_info";
  }
}

}  // namespace edge::config
