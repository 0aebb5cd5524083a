#pragma once

// Turns a YamlNode tree into a Config, one section at a time. Internal to config/.
// The section parsers live in sections.cc (node and the small llm-edge sections),
// model_list.cc (LiteLLM deployments) and keys.cc (keys, teams, admin, router_settings);
// load.cc runs them in order and then checks what refers to what.

#include <string>
#include <vector>

#include "config/config.h"
#include "config/reader.h"
#include "config/yaml_tree.h"

namespace edge::config {

// The built-in `jurisdictions:` used when a file has none; config/jurisdictions.yaml holds
// the same text for people to read and copy.
extern const char kDefaultJurisdictionsYaml[];

struct ProviderInfo;  // model_list.cc

class Loader {
 public:
  Loader(Errors& errors, Config* cfg) : e_(errors), cfg_(cfg) {}

  // Fills *cfg from the document; every problem goes to the Errors.
  void Run(const YamlNode& root);

 private:
  // A model_name mentioned somewhere (keys[].models, fallbacks): checked once model_list is
  // known, wherever it came before or after it in the file.
  struct AliasRef {
    std::string name;
    int line;
    std::string path;
  };

  // sections.cc
  void ParseNode(const YamlNode* n);
  void ParseTls(MapReader& parent, std::string_view key, TlsFiles* out);
  void ParseMutualTls(MapReader& parent, std::string_view key, MutualTlsFiles* out);
  void ParseJurisdictions(const YamlNode* n);
  void ParseGeo(const YamlNode* n);
  void ParseFederation(const YamlNode* n);
  void ParseSmallSections(const YamlNode& root);
  // model_list.cc
  void ParseModelList(const YamlNode* n);
  // Returns the line of model_info.id, or 0 when the id was derived from the content.
  int ParseDeployment(const YamlNode& n, size_t index, Deployment* d);
  void ParseLitellmParams(MapReader& lp, Deployment* d);
  void ParseModelInfo(MapReader& info, Deployment* d);
  // Provider defaults and requirements; p is nullptr when the model string was wrong.
  void ApplyProvider(MapReader& lp, const ProviderInfo* p, Deployment* d);
  void ParseSslVerify(MapReader& lp, Deployment* d);
  // keys.cc
  void ParseRouter(const YamlNode* n);
  void ParseFallbacks(MapReader& r, std::string_view key,
                      std::map<std::string, std::vector<std::string>, std::less<>>* out);
  void ParseKeys(const YamlNode* n);
  void ParseKey(MapReader& m, VirtualKey* k);
  void ParseTeams(const YamlNode* n);
  void ParseAdmin(const YamlNode* n);
  // prices.cc: each deployment's price from model_info and the price list.
  void ResolvePrices();
  // load.cc
  void CheckAliasRefs();
  void BuildLookups();
  // A tag value field (team, feature, env): records an error unless IsTagValue.
  void TagValue(MapReader& m, std::string_view key, std::string* out);
  // A jurisdiction name that must be one of cfg_->jurisdictions.
  bool KnownJurisdiction(const std::string& name, int line, const std::string& path);

  Errors& e_;
  Config* cfg_;
  std::vector<AliasRef> alias_refs_;
};

}  // namespace edge::config
