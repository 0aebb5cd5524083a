// llm-edge's own sections: node, jurisdictions, geo, federation, audit, ledger, responses, log.
// They are ours, not LiteLLM's, so an unknown key in them is a typo and an error.

#include <filesystem>

#include "config/loader.h"
#include "config/net_addr.h"

namespace edge::config {

// Kept equal to config/jurisdictions.yaml by config_test.
const char kDefaultJurisdictionsYaml[] = R"(
jurisdictions:
  EU:
    countries: [AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT,
                NL, PL, PT, RO, SK, SI, ES, SE]
    pinned: true
)";

namespace {

// Reads a "host:port" field into *out when valid.
void HostPort(MapReader& m, std::string_view key, int min_port, std::string* out) {
  std::string v;
  if (!m.String(key, &v)) return;
  Status s = CheckHostPort(v, min_port);
  if (!s.ok()) {
    m.errors().Add(m.LineOf(key), m.PathOf(key), s.message());
    return;
  }
  *out = std::move(v);
}

bool IsCountryCode(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

}  // namespace

void Loader::ParseNode(const YamlNode* n) {
  MapReader m(e_, n, "node", 1);
  NodeSettings& s = cfg_->node;
  TagValue(m, "id", &s.id);
  TagValue(m, "region", &s.region);
  TagValue(m, "jurisdiction", &s.jurisdiction);
  HostPort(m, "listen", 0, &s.listen);
  HostPort(m, "admin_listen", 0, &s.admin_listen);
  if (m.String("data_dir", &s.data_dir) && s.data_dir.empty()) {
    e_.Add(m.LineOf("data_dir"), m.PathOf("data_dir"), "must not be empty");
  }
  m.Int("workers", 0, &s.workers);
  m.Int("max_body_bytes", 1, &s.max_body_bytes);
  m.Int("max_header_bytes", 1, &s.max_header_bytes);
  m.Int("max_header_fields", 1, &s.max_header_fields);
  m.Int("header_timeout_ms", 1, &s.header_timeout_ms);
  m.Int("idle_timeout_ms", 1, &s.idle_timeout_ms);
  m.Int("write_timeout_ms", 1, &s.write_timeout_ms);
  m.Int("max_client_buffer_bytes", 1, &s.max_client_buffer_bytes);
  m.Int("shutdown_grace_ms", 1, &s.shutdown_grace_ms);
  ParseTls(m, "tls", &s.tls);
  ParseTls(m, "admin_tls", &s.admin_tls);
  m.RejectUnknown();
  // Port 0 asks the kernel for a free port, so two ":0" listeners do not clash.
  if (s.listen == s.admin_listen && !s.listen.ends_with(":0")) {
    e_.Add(m.LineOf("admin_listen"), m.PathOf("admin_listen"),
           "must differ from node.listen (" + s.listen + ")");
  }
}

void Loader::ParseTls(MapReader& parent, std::string_view key, TlsFiles* out) {
  MapReader t(e_, parent.Get(key), parent.PathOf(key), parent.LineOf(key));
  std::string cert, pem_key;
  bool has_cert = t.String("cert", &cert) && !cert.empty();
  bool has_key = t.String("key", &pem_key) && !pem_key.empty();
  t.RejectUnknown();
  if (has_cert != has_key) {
    const char* missing = has_cert ? "key" : "cert";
    e_.Add(t.line(), t.PathOf(missing),
           std::string("is required when ") + (has_cert ? "cert" : "key") + " is set");
    return;
  }
  if (!has_cert) return;
  bool ok = CheckReadableFile(e_, cert, t.LineOf("cert"), t.PathOf("cert"));
  ok = CheckReadableFile(e_, pem_key, t.LineOf("key"), t.PathOf("key")) && ok;
  if (ok) *out = TlsFiles{cert, pem_key};
}

// federation.tls: mutual, so a certificate, its key and the CA peers are checked against.
void Loader::ParseMutualTls(MapReader& parent, std::string_view key, MutualTlsFiles* out) {
  MapReader t(e_, parent.Get(key), parent.PathOf(key), parent.LineOf(key));
  MutualTlsFiles files;
  const char* names[] = {"cert", "key", "ca"};
  std::string* slots[] = {&files.cert, &files.key, &files.ca};
  int given = 0;
  for (int i = 0; i < 3; ++i) {
    if (t.String(names[i], slots[i]) && !slots[i]->empty()) ++given;
  }
  t.RejectUnknown();
  if (given == 0) return;
  bool ok = true;
  for (int i = 0; i < 3; ++i) {
    if (slots[i]->empty()) {
      e_.Add(t.line(), t.PathOf(names[i]),
             "is required: the gossip's TLS is mutual (cert, key and ca together)");
      ok = false;
    } else {
      ok = CheckReadableFile(e_, *slots[i], t.LineOf(names[i]), t.PathOf(names[i])) && ok;
    }
  }
  if (ok) *out = std::move(files);
}

void Loader::ParseJurisdictions(const YamlNode* n) {
  if (n == nullptr) {
    YamlNode root;
    int line = 0;
    Status parsed = ParseYaml(kDefaultJurisdictionsYaml, &root, &line);
    if (parsed.ok()) ParseJurisdictions(root.Find("jurisdictions"));
    return;
  }
  if (!n->is_map()) {
    e_.Add(n->line, "jurisdictions", "must be a mapping: NAME: {countries: [..], pinned: bool}");
    return;
  }
  std::map<std::string, std::string, std::less<>> owner;  // country -> jurisdiction
  for (const YamlEntry& entry : n->entries) {
    std::string path = JoinPath("jurisdictions", entry.key);
    if (!IsTagValue(entry.key)) {
      e_.Add(entry.key_line, path,
             "a jurisdiction name must be 1-64 characters of [A-Za-z0-9._:-]");
      continue;
    }
    MapReader j(e_, &entry.value, path, entry.key_line);
    Jurisdiction out;
    j.Bool("pinned", &out.pinned);
    j.StringList("countries", &out.countries,
                 [&](const std::string& c, int line, const std::string& item_path) {
                   if (!IsCountryCode(c)) {
                     e_.Add(line, item_path,
                            "must be a two-letter ISO 3166 country code in capitals, like DE");
                     return false;
                   }
                   auto [it, fresh] = owner.emplace(c, entry.key);
                   if (!fresh) {
                     e_.Add(line, item_path,
                            "country " + c + " is already in jurisdiction " + it->second);
                   }
                   return fresh;
                 });
    j.RejectUnknown();
    cfg_->jurisdictions[entry.key] = std::move(out);
  }
}

void Loader::ParseGeo(const YamlNode* n) {
  MapReader g(e_, n, "geo", 1);
  GeoSettings& s = cfg_->geo;
  std::string db;
  if (g.String("database", &db) && !db.empty() &&
      CheckReadableFile(e_, db, g.LineOf("database"), g.PathOf("database"))) {
    s.database = db;
  }
  g.StringList("trusted_proxies", &s.trusted_proxies,
               [this](const std::string& v, int line, const std::string& path) {
                 Status ok = CheckCidr(v);
                 if (!ok.ok()) e_.Add(line, path, ok.message());
                 return ok.ok();
               });
  std::string unknown;
  if (g.String("unknown_caller", &unknown)) {
    if (unknown == "node" || unknown == "deny" ||
        KnownJurisdiction(unknown, g.LineOf("unknown_caller"), g.PathOf("unknown_caller"))) {
      s.unknown_caller = unknown;
    }
  }
  g.RejectUnknown();
}

void Loader::ParseFederation(const YamlNode* n) {
  MapReader f(e_, n, "federation", 1);
  FederationSettings& s = cfg_->federation;
  HostPort(f, "listen", 0, &s.listen);
  HostPort(f, "advertise", 1, &s.advertise);
  f.StringList("peers", &s.peers, [this](const std::string& v, int line, const std::string& p) {
    Status ok = CheckHostPort(v, 1);
    if (!ok.ok()) e_.Add(line, p, ok.message());
    return ok.ok();
  });
  bool key_read = f.String("key", &s.key);
  f.StringList("keyring", &s.keyring);
  f.Int("interval_ms", 1, &s.interval_ms);
  f.Double("phi_suspect", 0, true, &s.phi_suspect);
  f.Double("phi_dead", 0, true, &s.phi_dead);
  if (f.Get("phi_dead") != nullptr && s.phi_dead <= s.phi_suspect) {
    e_.Add(f.LineOf("phi_dead"), f.PathOf("phi_dead"),
           "must be greater than phi_suspect (" + std::to_string(s.phi_suspect) + ")");
  }
  ParseMutualTls(f, "tls", &s.tls);
  f.RejectUnknown();
  if (f.Get("listen") == nullptr) {
    if (!s.peers.empty()) e_.Add(f.line(), f.PathOf("listen"), "is required when peers are set");
    return;
  }
  if (f.Get("key") == nullptr) {
    e_.Add(f.line(), f.PathOf("key"), "is required when listen is set: gossip is authenticated");
  } else if (key_read && s.key.empty()) {
    e_.Add(f.LineOf("key"), f.PathOf("key"), "must not be empty");
  }
}

void Loader::ParseSmallSections(const YamlNode& root) {
  MapReader audit(e_, root.Find("audit"), "audit", 1);
  audit.Enum("caller_ip", {"full", "truncate", "hash"}, &cfg_->audit.caller_ip);
  audit.Int("digest_every", 1, &cfg_->audit.digest_every);
  audit.Int("digest_every_s", 1, &cfg_->audit.digest_every_s);
  audit.RejectUnknown();

  MapReader ledger(e_, root.Find("ledger"), "ledger", 1);
  ledger.Enum("on_error", {"serve", "refuse"}, &cfg_->ledger.on_error);
  ledger.Int("retention_days", 0, &cfg_->ledger.retention_days);
  if (ledger.String("prices", &cfg_->ledger.prices)) {
    CheckReadableFile(e_, cfg_->ledger.prices, ledger.LineOf("prices"), ledger.PathOf("prices"));
  }
  ledger.RejectUnknown();

  MapReader responses(e_, root.Find("responses"), "responses", 1);
  responses.Bool("store", &cfg_->responses.store);
  responses.Int("ttl_s", 1, &cfg_->responses.ttl_s);
  responses.RejectUnknown();

  MapReader log(e_, root.Find("log"), "log", 1);
  if (log.String("access", &cfg_->log.access)) {
    const std::string& access = cfg_->log.access;
    if (access.empty()) {
      e_.Add(log.LineOf("access"), log.PathOf("access"),
             "must be stderr, off, or the path of a file");
    } else if (access != "stderr" && access != "off") {
      // The file itself is created at start-up; its directory must be there.
      std::filesystem::path dir = std::filesystem::path(access).parent_path();
      std::error_code ec;
      if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
        e_.Add(log.LineOf("access"), log.PathOf("access"),
               "the directory " + dir.string() + " does not exist");
      }
    }
  }
  log.RejectUnknown();
}

}  // namespace edge::config
