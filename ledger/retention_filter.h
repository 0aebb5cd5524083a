#pragma once

// The compaction filter of the "records" family: drops raw records older than
// ledger.retention_days as RocksDB compacts them (RocksDB's TTL-by-filter pattern:
// github.com/facebook/rocksdb/wiki/Compaction-Filter). Roll-ups live in another family and
// stay. A value it cannot read is kept: expiry never destroys what it does not understand.

#include <cstdint>
#include <functional>
#include <memory>

namespace rocksdb {
class CompactionFilterFactory;
}

namespace edge::ledger {

std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    int retention_days, std::function<int64_t()> now_seconds);

}  // namespace edge::ledger
