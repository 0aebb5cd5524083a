#pragma once

// The merge operator of the "rollups" family: operands are RollupValue deltas, the merged
// value is their field-wise sum (RocksDB's associative merge, as in its counters example:
// github.com/facebook/rocksdb/wiki/Merge-Operator). Included only by store.cc.

#include <memory>

namespace rocksdb {
class MergeOperator;
}

namespace edge::ledger {

std::shared_ptr<rocksdb::MergeOperator> NewRollupMergeOperator();

}  // namespace edge::ledger
