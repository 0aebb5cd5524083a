// Load() and LoadFromString(): parse, run the section parsers in dependency order, check
// cross references, build the lookups.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "config/config.h"
#include "config/include.h"
#include "config/loader.h"
#include "config/reader.h"
#include "config/yaml_tree.h"

namespace edge::config {

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

void Loader::Run(const YamlNode& root) {
  if (!root.is_map() && !root.is_null()) {
    e_.Add(root.line, "", "the file must be a mapping of sections (node:, model_list:, ...)");
    return;
  }
  // Sections not named here (litellm_settings, general_settings, ...) are LiteLLM's and are
  // ignored, so a LiteLLM proxy config loads as written.
  // Read through a MapReader (whose unknown keys are not rejected) so that the sections are
  // among the keys the loader reports it accepts.
  MapReader top(e_, &root, "", 1);
  auto section = [&top](std::string_view key) -> const YamlNode* { return top.Get(key); };
  ParseNode(section("node"));
  ParseJurisdictions(section("jurisdictions"));
  ParseGeo(section("geo"));
  ParseFederation(section("federation"));
  ParseRouter(section("router_settings"));  // before model_list: deployments inherit timeouts
  ParseModelList(section("model_list"));
  ParseKeys(section("keys"));
  ParseTeams(section("teams"));
  for (std::string_view key : {"audit", "ledger", "responses", "log"}) top.Get(key);
  ParseSmallSections(root);
  ParseAdmin(section("admin"));
  ResolvePrices();  // after ledger.prices and model_list
  CheckAliasRefs();
  BuildLookups();
}

void Loader::CheckAliasRefs() {
  std::set<std::string_view> aliases;
  for (const Deployment& d : cfg_->model_list) aliases.insert(d.model_name);
  for (const AliasRef& ref : alias_refs_) {
    if (aliases.count(ref.name) == 0) {
      e_.Add(ref.line, ref.path, "unknown model_name '" + ref.name + "' (not in model_list)");
    }
  }
}

void Loader::BuildLookups() {
  for (size_t i = 0; i < cfg_->model_list.size(); ++i) {
    cfg_->deployments_by_alias[cfg_->model_list[i].model_name].push_back(i);
  }
  for (size_t i = 0; i < cfg_->keys.size(); ++i) {
    cfg_->key_by_sha256.emplace(cfg_->keys[i].key_sha256, i);
  }
  for (const auto& [name, j] : cfg_->jurisdictions) {
    for (const std::string& c : j.countries) cfg_->jurisdiction_by_country.emplace(c, name);
  }
  for (size_t i = 0; i < cfg_->teams.size(); ++i) {
    cfg_->team_by_name.emplace(cfg_->teams[i].name, i);
  }
}

void Loader::TagValue(MapReader& m, std::string_view key, std::string* out) {
  std::string v;
  if (!m.String(key, &v)) return;
  if (!IsTagValue(v)) {
    e_.Add(m.LineOf(key), m.PathOf(key), "must be 1-64 characters of [A-Za-z0-9._:-]");
    return;
  }
  *out = std::move(v);
}

bool Loader::KnownJurisdiction(const std::string& name, int line, const std::string& path) {
  if (cfg_->jurisdictions.count(name) != 0) return true;
  std::string known;
  for (const auto& [n, j] : cfg_->jurisdictions) known += (known.empty() ? "" : ", ") + n;
  e_.Add(line, path,
         "unknown jurisdiction '" + name +
             "' (jurisdictions: " + (known.empty() ? std::string("none") : known) + ")");
  return false;
}

namespace {

Status FailureStatus(const std::vector<ConfigError>& errors, size_t first, Code code) {
  std::string msg;
  for (size_t i = first; i < errors.size(); ++i) {
    if (!msg.empty()) msg += '\n';
    msg += errors[i].ToString();
  }
  return Status(code, msg);
}

}  // namespace

Result<Config> LoadFromString(const std::string& yaml, const std::string& path,
                              std::vector<ConfigError>* errors, const LoadOptions& options) {
  std::vector<ConfigError> local;
  std::vector<ConfigError>* out = errors != nullptr ? errors : &local;
  const size_t first = out->size();
  SourceMap map;
  Errors e(&map, out);
  e.set_keys_seen(options.keys_seen);
  std::vector<std::string> files;

  YamlNode root;
  const FileSource& source = options.files != nullptr ? *options.files : RealFiles();
  bool parsed = ReadWithIncludes(path, yaml, source, &map, e, &root, &files);
  if (options.files_read != nullptr) *options.files_read = files;
  if (!parsed) return FailureStatus(*out, first, Code::kInvalidArgument);
  Config cfg;
  cfg.path = path;
  Loader(e, &cfg).Run(root);
  // Cross-reference checks run last; sorting puts every problem back in file order.
  e.SortByLocation();
  if (e.count() != 0) return FailureStatus(*out, first, Code::kInvalidArgument);
  for (Deployment& d : cfg.model_list) {
    SourceMap::Where where = map.Resolve(d.line);
    d.file = *where.file;
    d.line = where.line;
  }
  cfg.files = std::move(files);
  return cfg;
}

Result<Config> Load(const std::string& path, std::vector<ConfigError>* errors,
                    const LoadOptions& options) {
  std::vector<ConfigError> local;
  std::vector<ConfigError>* out = errors != nullptr ? errors : &local;
  std::error_code ec;
  std::string problem;
  if (std::filesystem::is_directory(path, ec)) {
    problem = "is a directory, not a config file";
  } else {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.bad()) return LoadFromString(text, path, errors, options);
    }
    problem = std::string("cannot read: ") + std::strerror(errno);
  }
  if (options.files_read != nullptr) *options.files_read = {path};
  out->push_back(ConfigError{path, 0, "", problem});
  return Status(Code::kNotFound, out->back().ToString());
}

}  // namespace edge::config
