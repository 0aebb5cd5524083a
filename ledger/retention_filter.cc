#include "ledger/retention_filter.h"

#include <rocksdb/compaction_filter.h>

#include <string>

#include "ledger/record_header.h"

namespace edge::ledger {
namespace {

class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(int64_t cutoff_micros) : cutoff_micros_(cutoff_micros) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    auto t = RecordWallMicros(std::string_view(value.data(), value.size()));
    return t.has_value() && *t < cutoff_micros_;
  }
  const char* Name() const override { return "edge.RecordRetention"; }

 private:
  int64_t cutoff_micros_;
};

class RetentionFactory final : public rocksdb::CompactionFilterFactory {
 public:
  RetentionFactory(int days, std::function<int64_t()> now) : days_(days), now_(std::move(now)) {}
  // One filter per compaction, with the cutoff of that moment.
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    int64_t cutoff = (now_() - static_cast<int64_t>(days_) * 86400) * 1000000;
    return std::make_unique<RetentionFilter>(cutoff);
  }
  const char* Name() const override { return "edge.RecordRetentionFactory"; }

 private:
  int days_;
  std::function<int64_t()> now_;
};

}  // namespace

std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    int retention_days, std::function<int64_t()> now_seconds) {
  return std::make_shared<RetentionFactory>(retention_days, std::move(now_seconds));
}

}  // namespace edge::ledger
