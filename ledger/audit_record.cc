#include "ledger/audit_record.h"

#include <arpa/inet.h>

#include <cstring>

#include "ledger/audit_hash.h"

namespace edge::ledger {

std::string_view CallerIpModeName(CallerIpMode mode) {
  switch (mode) {
    case CallerIpMode::kFull:
      return "full";
    case CallerIpMode::kTruncate:
      return "truncate";
    case CallerIpMode::kHash:
      return "hash";
  }
  return "full";
}

bool ParseCallerIpMode(std::string_view name, CallerIpMode* mode) {
  for (CallerIpMode m : {CallerIpMode::kFull, CallerIpMode::kTruncate, CallerIpMode::kHash}) {
    if (name == CallerIpModeName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

std::string ApplyCallerIpMode(std::string_view address, CallerIpMode mode, std::string_view salt) {
  if (mode == CallerIpMode::kFull) return std::string(address);
  char text[INET6_ADDRSTRLEN + 1] = {};
  if (address.size() >= sizeof text) return {};
  std::memcpy(text, address.data(), address.size());
  uint8_t v6[16];
  uint8_t v4[4];
  bool is_v4 = inet_pton(AF_INET, text, v4) == 1;
  if (!is_v4) {
    if (inet_pton(AF_INET6, text, v6) != 1) return {};
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6, kMapped, sizeof kMapped) == 0) {
      std::memcpy(v4, v6 + 12, 4);
      is_v4 = true;
    }
  }
  char out[INET6_ADDRSTRLEN];
  if (mode == CallerIpMode::kTruncate) {
    if (is_v4) {
      v4[3] = 0;
      inet_ntop(AF_INET, v4, out, sizeof out);
      return std::string(out) + "/24";
    }
    std::memset(v6 + 6, 0, 10);
    inet_ntop(AF_INET6, v6, out, sizeof out);
    return std::string(out) + "/48";
  }
  // kHash: of the address's one canonical spelling, so that "::FFFF:1.2.3.4" and "1.2.3.4"
  // are the same caller.
  if (is_v4) {
    inet_ntop(AF_INET, v4, out, sizeof out);
  } else {
    inet_ntop(AF_INET6, v6, out, sizeof out);
  }
  std::string salted(salt);
  salted += out;
  return "sha256:" + ToHex(Sha256Of(salted));
}

}  // namespace edge::ledger
