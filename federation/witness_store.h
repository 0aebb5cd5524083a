#pragma once

// What this node witnessed of other origins' audit logs: per origin, the chain heads and signed
// digests it received, and when. A log rewritten after its heads were seen here no longer
// contains them (`llm-edge audit verify --witness` checks that against this store).
// Bounded: the last kMaxHeads distinct heads and the last kMaxDigests digests per origin.

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "federation/types.h"

namespace edge::federation {

class WitnessStore {
 public:
  static constexpr size_t kMaxHeads = 1024;
  static constexpr size_t kMaxDigests = 4096;

  void RecordHead(std::string_view origin, int64_t generation, uint64_t seq, std::string hash_hex,
                  int64_t now_us);
  void RecordDigest(std::string_view origin, int64_t generation, std::string line, int64_t now_us);
  // Heads then digests, each oldest first.
  std::vector<WitnessEntry> Witnessed(std::string_view origin) const;

 private:
  struct Seen {
    std::deque<WitnessEntry> heads, digests;
  };
  std::map<std::string, Seen, std::less<>> origins_;
};

}  // namespace edge::federation
