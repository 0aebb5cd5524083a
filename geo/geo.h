#pragma once

// geo/: where a caller is, from its IP address. Start here.
//
//   peer address + X-Forwarded-For / Forwarded (only from trusted proxies)
//     -> CallerAddress()              the client's address, read right to left
//     -> Database::Lookup()           ISO country (libmaxminddb, memory-mapped)
//     -> Classifier::Place()          jurisdiction, or the geo.unknown_caller rule
//
// Nothing here knows the server or the config module: node/ fills Settings from the config
// and owns one Classifier per config snapshot (swapped atomically with it on reload). After
// Create() nothing does I/O, and the per-request calls do not allocate.

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

struct MMDB_s;
struct MMDB_entry_s;

namespace edge::geo {

// Addresses and their syntax live in common/ip_address.h (config/ checks
// geo.trusted_proxies with the same rule); geo/ names them as its own.
using IpAddress = ::edge::IpAddress;
using ::edge::FromSockaddr;
using ::edge::ParseIp;
using ::edge::ToString;

// A set of networks: geo.trusted_proxies. Small (a handful of entries), scanned in order.
class CidrSet {
 public:
  // "10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104" (= 10.0.0.0/8), or a bare address
  // (one host). Host bits past the prefix are ignored, as in routing tables.
  Status Add(std::string_view cidr);
  bool Contains(const IpAddress& a) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    IpAddress base;  // host bits cleared
    int prefix = 0;
  };
  std::vector<Net> nets_;
};

// The hops that proxies reported in X-Forwarded-For or Forwarded (RFC 7239) fields, in the
// order they were added (client first). Fields of the same name are one list, in arrival
// order (RFC 9110 5.3). Fixed capacity: only the last kMaxHops hops are kept, since reading
// stops at the first untrusted one from the right; a longer chain of trusted proxies than
// that cannot be followed and leaves the caller unplaced.
class ForwardedHops {
 public:
  static constexpr int kMaxHops = 32;

  void AddXForwardedFor(std::string_view field_value);
  void AddForwarded(std::string_view field_value);
  void Clear();

  // The client address the hops name, read right to left from `peer`: each hop that is a
  // trusted proxy passes the question on to the hop before it; the first untrusted address
  // is the caller. Forwarded is used when present, else X-Forwarded-For. A malformed hop,
  // `unknown`, an obfuscated identifier (`_hidden`) or a Forwarded element without `for`
  // ends the walk with an invalid address (the caller cannot be placed): nothing beyond a hop
  // we cannot read is trusted. When every named hop is trusted, the leftmost one is the
  // caller; with no hops at all, the peer is. The caller must check that `peer` is trusted
  // before asking (an untrusted peer's headers mean nothing).
  IpAddress Client(const IpAddress& peer, const CidrSet& trusted) const;

  // For tests and fuzzing: the hops of one list, oldest first, as parsed.
  struct Hop {
    IpAddress address;  // invalid = unreadable, unknown or obfuscated
  };
  struct List {
    std::array<Hop, kMaxHops> ring;
    int count = 0;       // hops seen (may exceed kMaxHops)
    bool broken = false; // a field was not valid syntax as a whole (e.g. an open quote)
    void Push(IpAddress a);
    const Hop& FromRight(int i) const;  // 0 = the newest
  };
  const List& xff() const { return xff_; }
  const List& forwarded() const { return forwarded_; }

 private:
  List xff_, forwarded_;
};

// A two-letter ISO 3166 country code ("DE"), or empty when the database has none.
struct Country {
  std::array<char, 2> code{};
  bool empty() const { return code[0] == 0; }
  std::string_view view() const { return empty() ? std::string_view() : std::string_view(code.data(), 2); }
};

// A country .mmdb: GeoIP2 / GeoLite2 / DB-IP Country (country.iso_code, falling back to
// registered_country.iso_code) or IPinfo (country_code, or a two-letter country). Memory-
// mapped read-only; immutable, so one instance serves every thread.
class Database {
 public:
  // Fails with a message naming the path and libmaxminddb's reason.
  static Result<std::shared_ptr<const Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The country of `a`, or empty: not in the database, no country in its record, or a
  // libmaxminddb error (then *mmdb_error, when given, is its MMDB_* code, else 0). No
  // allocation.
  Country Lookup(const IpAddress& a, int* mmdb_error = nullptr) const;

  const std::string& path() const { return path_; }
  const std::string& type() const { return type_; }  // metadata database_type
  uint64_t build_epoch() const { return build_epoch_; }

 private:
  Database() = default;
  Country CountryOf(MMDB_entry_s* entry, int* mmdb_error) const;

  std::unique_ptr<MMDB_s> mmdb_;
  // Country by data-record offset. A country database has a few hundred distinct records, and
  // decoding one (MMDB_aget_value) costs more than the tree walk, so each is decoded once.
  // The data section is immutable, so an entry never goes stale; slots are single atomic
  // words (offset + 1 << 16 | code), so threads share the cache without locks and a race only
  // costs a decode.
  static constexpr size_t kCacheSlots = 1024;
  mutable std::array<std::atomic<uint64_t>, kCacheSlots> cache_{};
  std::string path_, type_;
  uint64_t build_epoch_ = 0;
};

// Where the built-in default database lives (made from Debian's tor-geoipdb ranges by
// scripts/build-geoip-mmdb.pl): the first readable of
//   $LLM_EDGE_GEOIP_DB, <dir of the executable>/../share/llm-edge/geoip.mmdb,
//   the build tree's share/llm-edge/geoip.mmdb, /usr/local/share/llm-edge/geoip.mmdb,
//   /usr/share/llm-edge/geoip.mmdb.
// NotFound listing every place tried when none is.
Result<std::string> BuiltinDatabasePath();

// What the node's config says about placing callers.
struct Settings {
  std::string database;                      // .mmdb path; "" = BuiltinDatabasePath()
  std::vector<std::string> trusted_proxies;  // CIDRs
  std::map<std::string, std::string, std::less<>> jurisdiction_by_country;
  std::string node_jurisdiction;  // the node's own; may be empty
  // geo.unknown_caller: "node", "deny", or a jurisdiction name.
  std::string unknown_caller = "node";
};

// How a caller was placed.
struct Placement {
  enum class Source : uint8_t { kIp, kNode, kDeny };
  Country country;                 // empty when unplaced
  std::string_view jurisdiction;   // may be empty (a country in no jurisdiction); kDeny: empty
  Source source = Source::kNode;   // kIp: from the country; else the unknown_caller rule
};

class Classifier {
 public:
  // Opens the database; errors begin with the config key at fault (geo.database or
  // geo.trusted_proxies).
  static Result<std::shared_ptr<const Classifier>> Create(Settings settings);

  const CidrSet& trusted_proxies() const { return trusted_; }
  const Database& database() const { return *db_; }

  // The country and jurisdiction of `caller` (invalid = cannot be placed). A placed country
  // that belongs to no jurisdiction is placed all the same (source kIp, empty jurisdiction):
  // it is not pinned anywhere. No allocation.
  Placement Place(const IpAddress& caller, int* mmdb_error = nullptr) const;

 private:
  Classifier() = default;
  std::string_view JurisdictionOf(Country c) const;

  Settings settings_;
  std::shared_ptr<const Database> db_;
  CidrSet trusted_;
  // [A-Z][A-Z] -> index into settings_.jurisdiction_by_country's names + 1; 0 = none.
  std::array<uint16_t, 26 * 26> by_country_{};
  std::vector<std::string> names_;
};

}  // namespace edge::geo
