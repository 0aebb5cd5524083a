#include "ledger/rollup_merge.h"

#include <rocksdb/merge_operator.h>

#include "ledger/rollup_value.h"

namespace edge::ledger {
namespace {

class RollupMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  // A malformed operand or base makes the merge fail, which RocksDB reports as corruption on
  // read: a wrong total is never served as a right one.
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    std::string_view v(value.data(), value.size());
    if (existing == nullptr) {
      if (!DecodeRollup(v)) return false;
      new_value->assign(v);
      return true;
    }
    return SumEncodedRollups(std::string_view(existing->data(), existing->size()), v, new_value);
  }
  const char* Name() const override { return "edge.RollupSum.v1"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewRollupMergeOperator() {
  return std::make_shared<RollupMerge>();
}

}  // namespace edge::ledger
