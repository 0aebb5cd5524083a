// Classifier: the database, the trusted proxies and the country -> jurisdiction table of one
// config snapshot.

#include "geo/geo.h"

namespace edge::geo {
namespace {

int CountryIndex(char a, char b) {
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
  return (a - 'A') * 26 + (b - 'A');
}

}  // namespace

Result<std::shared_ptr<const Classifier>> Classifier::Create(Settings settings) {
  std::shared_ptr<Classifier> c(new Classifier());
  std::string path = settings.database;
  if (path.empty()) {
    Result<std::string> builtin = BuiltinDatabasePath();
    if (!builtin.ok()) {
      return Status(builtin.status().code(), "geo.database: " + builtin.status().message());
    }
    path = *builtin;
  }
  Result<std::shared_ptr<const Database>> db = Database::Open(path);
  if (!db.ok()) return Status(db.status().code(), "geo.database: " + db.status().message());
  c->db_ = *db;
  for (const std::string& cidr : settings.trusted_proxies) {
    Status added = c->trusted_.Add(cidr);
    if (!added.ok()) return InvalidArgument("geo.trusted_proxies: " + added.message());
  }
  for (const auto& [country, name] : settings.jurisdiction_by_country) {
    int i = country.size() == 2 ? CountryIndex(country[0], country[1]) : -1;
    if (i < 0) return InvalidArgument(country + " is not a two-letter country code");
    size_t n = 0;
    while (n < c->names_.size() && c->names_[n] != name) ++n;
    if (n == c->names_.size()) c->names_.push_back(name);
    c->by_country_[static_cast<size_t>(i)] = static_cast<uint16_t>(n + 1);
  }
  c->settings_ = std::move(settings);
  return std::shared_ptr<const Classifier>(std::move(c));
}

std::string_view Classifier::JurisdictionOf(Country country) const {
  int i = CountryIndex(country.code[0], country.code[1]);
  if (i < 0) return {};
  uint16_t n = by_country_[static_cast<size_t>(i)];
  return n == 0 ? std::string_view() : std::string_view(names_[n - 1]);
}

Placement Classifier::Place(const IpAddress& caller, int* mmdb_error) const {
  Placement p;
  if (mmdb_error != nullptr) *mmdb_error = 0;
  if (caller.valid()) p.country = db_->Lookup(caller, mmdb_error);
  if (!p.country.empty()) {
    p.source = Placement::Source::kIp;
    p.jurisdiction = JurisdictionOf(p.country);
    return p;
  }
  const std::string& rule = settings_.unknown_caller;
  if (rule == "deny") {
    p.source = Placement::Source::kDeny;
  } else {
    p.source = Placement::Source::kNode;
    p.jurisdiction = rule == "node" ? settings_.node_jurisdiction : rule;
  }
  return p;
}

}  // namespace edge::geo
