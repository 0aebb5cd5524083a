// Database: a country .mmdb through libmaxminddb, memory-mapped.

#include <maxminddb.h>
#include <netinet/in.h>

#include <cstring>

#include "geo/geo.h"

namespace edge::geo {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// A two-letter code at `path` of the entry; other shapes (a country name, a map) do not count.
// Returns the MMDB error of the step, MMDB_SUCCESS when the path is merely absent.
int ReadCode(MMDB_entry_s* entry, const char* const* path, Country* out) {
  MMDB_entry_data_s data;
  int rc = MMDB_aget_value(entry, &data, path);
  if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) return MMDB_SUCCESS;  // absent here
  if (rc != MMDB_SUCCESS) return rc;
  if (!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size != 2) {
    return MMDB_SUCCESS;
  }
  const char* s = data.utf8_string;
  if (!IsUpper(s[0]) || !IsUpper(s[1])) return MMDB_SUCCESS;
  out->code = {s[0], s[1]};
  return MMDB_SUCCESS;
}

// GeoIP2 / GeoLite2 / DB-IP first (country.iso_code), then IPinfo's flat layouts, then the
// network's registered country (anycast and satellite ranges often have only that).
constexpr const char* kIsoCode[] = {"country", "iso_code", nullptr};
constexpr const char* kCountryCode[] = {"country_code", nullptr};
constexpr const char* kCountry[] = {"country", nullptr};
constexpr const char* kRegistered[] = {"registered_country", "iso_code", nullptr};
constexpr const char* const* kPaths[] = {kIsoCode, kCountryCode, kCountry, kRegistered};

}  // namespace

Result<std::shared_ptr<const Database>> Database::Open(const std::string& path) {
  std::shared_ptr<Database> db(new Database());
  db->mmdb_ = std::make_unique<MMDB_s>();
  int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db->mmdb_.get());
  if (rc != MMDB_SUCCESS) {
    std::string why = MMDB_strerror(rc);
    if (rc == MMDB_IO_ERROR) why += std::string(": ") + std::strerror(errno);
    db->mmdb_.reset();  // MMDB_open frees what it opened when it fails
    return Status(rc == MMDB_FILE_OPEN_ERROR ? Code::kNotFound : Code::kInvalidArgument,
                  path + ": cannot open the GeoIP database: " + why);
  }
  db->path_ = path;
  const MMDB_metadata_s& meta = db->mmdb_->metadata;
  if (meta.database_type != nullptr) db->type_ = meta.database_type;
  db->build_epoch_ = meta.build_epoch;
  return std::shared_ptr<const Database>(std::move(db));
}

Database::~Database() {
  if (mmdb_) MMDB_close(mmdb_.get());
}

Country Database::Lookup(const IpAddress& a, int* mmdb_error) const {
  if (mmdb_error != nullptr) *mmdb_error = 0;
  Country country;
  sockaddr_storage ss{};
  if (a.family == IpAddress::Family::kV4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, a.bytes.data(), 4);
  } else if (a.family == IpAddress::Family::kV6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, a.bytes.data(), 16);
  } else {
    return country;
  }
  int rc = MMDB_SUCCESS;
  MMDB_lookup_result_s r = MMDB_lookup_sockaddr(mmdb_.get(), reinterpret_cast<sockaddr*>(&ss), &rc);
  // An IPv6 address in an IPv4-only database is simply not in it.
  if (rc == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) return country;
  if (rc != MMDB_SUCCESS) {
    if (mmdb_error != nullptr) *mmdb_error = rc;
    return country;
  }
  if (!r.found_entry) return country;
  return CountryOf(&r.entry, mmdb_error);
}

Country Database::CountryOf(MMDB_entry_s* entry, int* mmdb_error) const {
  uint64_t tag = (static_cast<uint64_t>(entry->offset) + 1) << 16;
  std::atomic<uint64_t>& slot = cache_[(entry->offset * 2654435761u) % kCacheSlots];
  uint64_t cached = slot.load(std::memory_order_relaxed);
  Country country;
  if ((cached & ~uint64_t{0xffff}) == tag) {
    country.code = {static_cast<char>(cached >> 8), static_cast<char>(cached & 0xff)};
    return country;
  }
  for (const char* const* path : kPaths) {
    int rc = ReadCode(entry, path, &country);
    if (rc != MMDB_SUCCESS) {  // not cached: the next lookup reports it again
      if (mmdb_error != nullptr) *mmdb_error = rc;
      return Country();
    }
    if (!country.empty()) break;
  }
  slot.store(tag | static_cast<uint64_t>(static_cast<uint8_t>(country.code[0])) << 8 |
                 static_cast<uint8_t>(country.code[1]),
             std::memory_order_relaxed);
  return country;
}

}  // namespace edge::geo
