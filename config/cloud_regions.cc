// The region -> jurisdiction table (config/cloud_regions.yaml, compiled in by CMake) and the
// rules that find a deployment's region.

#include "config/cloud_regions.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "config/yaml_tree.h"

namespace edge::config {

extern const char kCloudRegionsYaml[];

namespace {

using Table = std::map<std::string, std::string, std::less<>>;  // region -> jurisdiction
using Tables = std::map<std::string, Table, std::less<>>;       // aws, azure, ...

// Parsed once; the file is ours and tested (config_test), so a broken one is a build bug.
const Tables& AllTables() {
  static const Tables tables = [] {
    Tables t;
    YamlNode root;
    int line = 0;
    Status parsed = ParseYaml(kCloudRegionsYaml, &root, &line);
    if (!parsed.ok() || !root.is_map()) {
      std::fprintf(stderr, "config/cloud_regions.yaml:%d: %s\n", line, parsed.message().c_str());
      std::abort();
    }
    for (const YamlEntry& cloud : root.entries) {
      Table& table = t[cloud.key];
      for (const YamlEntry& j : cloud.value.entries) {
        for (const YamlNode& region : j.value.items) table.emplace(region.scalar, j.key);
      }
    }
    return t;
  }();
  return tables;
}

// The label of `host` just before `suffix` ("westeurope" in "x.westeurope.models.ai.azure.com").
std::string_view LabelBefore(std::string_view host, std::string_view suffix) {
  if (!host.ends_with(suffix)) return {};
  host.remove_suffix(suffix.size());
  size_t dot = host.rfind('.');
  return dot == std::string_view::npos ? host : host.substr(dot + 1);
}

// "https://x.westeurope.models.ai.azure.com/v1" -> "x.westeurope.models.ai.azure.com".
std::string_view HostOf(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/:"));
  return url;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Which table a deployment's region is in.
std::string_view CloudOf(const Deployment& d) {
  if (d.provider == "bedrock") return "aws";
  if (d.provider == "azure") return "azure";
  std::string_view host = HostOf(d.api_base);
  if (host.ends_with(".azure.com") || host.ends_with(".microsoft.com")) return "azure";
  if (host.ends_with(".googleapis.com")) return "gcp";
  if (host.ends_with(".amazonaws.com")) return "aws";
  return {};
}

}  // namespace

std::string_view RegionJurisdiction(std::string_view table, std::string_view region) {
  const Tables& all = AllTables();
  auto t = all.find(table);
  if (t == all.end()) return {};
  auto r = t->second.find(region);
  return r == t->second.end() ? std::string_view() : std::string_view(r->second);
}

std::string CloudRegionOf(const Deployment& d, std::string_view region_name,
                          std::string_view vertex_location) {
  if (d.provider == "bedrock" && !d.aws_region_name.empty()) return d.aws_region_name;
  if (!region_name.empty()) return AsciiLower(region_name);
  if (!vertex_location.empty()) return AsciiLower(vertex_location);
  std::string host = AsciiLower(HostOf(d.api_base));
  for (std::string_view suffix : {".models.ai.azure.com", ".inference.ai.azure.com"}) {
    std::string_view region = LabelBefore(host, suffix);
    if (!region.empty() && host.size() > region.size() + suffix.size()) return std::string(region);
  }
  std::string_view cognitive = ".api.cognitive.microsoft.com";
  if (host.ends_with(cognitive) && host.find('.') == host.size() - cognitive.size()) {
    return host.substr(0, host.size() - cognitive.size());
  }
  std::string_view vertex = "-aiplatform.googleapis.com";
  if (host.ends_with(vertex) && host.find('.') > host.size() - vertex.size()) {
    return host.substr(0, host.size() - vertex.size());
  }
  if (d.provider != "bedrock" && !d.aws_region_name.empty()) return d.aws_region_name;
  return {};
}

std::string CloudJurisdiction(const Deployment& d) {
  if (d.provider == "bedrock") {
    size_t dot = d.upstream_model.find('.');
    if (dot != std::string::npos) {
      std::string_view prefix = std::string_view(d.upstream_model).substr(0, dot);
      if (prefix == "global") return {};  // may run in any region
      std::string_view j = RegionJurisdiction("bedrock_profiles", prefix);
      if (!j.empty()) return std::string(j);
    }
  }
  if (d.cloud_region.empty()) return {};
  std::string_view cloud = CloudOf(d);
  if (!cloud.empty()) return std::string(RegionJurisdiction(cloud, d.cloud_region));
  // region_name on a host we cannot tell: a name the clouds do not share still decides.
  std::string_view found;
  for (std::string_view t : {"aws", "azure", "gcp"}) {
    std::string_view j = RegionJurisdiction(t, d.cloud_region);
    if (j.empty()) continue;
    if (!found.empty() && found != j) return {};
    found = j;
  }
  return std::string(found);
}

}  // namespace edge::config
