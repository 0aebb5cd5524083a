#pragma once

// Compaction filters that expire values by a time each value carries (RocksDB's TTL-by-filter
// pattern: github.com/facebook/rocksdb/wiki/Compaction-Filter): the "records" family's
// (ledger.retention_days; roll-ups live in another family and stay) and the "responses"
// family's (response_store.h). A value whose time cannot be read is kept: expiry never
// destroys what it does not understand.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rocksdb {
class CompactionFilterFactory;
}

namespace edge::ledger {

// The time a value carries, or nullopt when it cannot be read.
using ValueTime = std::optional<int64_t> (*)(std::string_view value);

// Drops the values whose time is below the cutoff `cutoff()` gives when a compaction starts.
// `name` names the filter (and, with "Factory" after it, the factory) in RocksDB's logs.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewTimeCutoffFilterFactory(
    std::string name, ValueTime time_of, std::function<int64_t()> cutoff);

// The records family's: raw records older than `retention_days` (by their wall time).
std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    int retention_days, std::function<int64_t()> now_seconds);

}  // namespace edge::ledger
