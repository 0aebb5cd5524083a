#include "ledger/retention_filter.h"

#include <rocksdb/compaction_filter.h>

#include <string>
#include <utility>

#include "ledger/record_header.h"

namespace edge::ledger {
namespace {

class TimeCutoffFilter final : public rocksdb::CompactionFilter {
 public:
  TimeCutoffFilter(const std::string& name, ValueTime time_of, int64_t cutoff)
      : name_(name), time_of_(time_of), cutoff_(cutoff) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    std::optional<int64_t> t = time_of_(std::string_view(value.data(), value.size()));
    return t.has_value() && *t < cutoff_;
  }
  const char* Name() const override { return name_.c_str(); }

 private:
  const std::string& name_;  // the factory's, which outlives its filters
  ValueTime time_of_;
  int64_t cutoff_;
};

class TimeCutoffFactory final : public rocksdb::CompactionFilterFactory {
 public:
  TimeCutoffFactory(std::string name, ValueTime time_of, std::function<int64_t()> cutoff)
      : name_(std::move(name)), factory_name_(name_ + "Factory"), time_of_(time_of),
        cutoff_(std::move(cutoff)) {}
  // One filter per compaction, with the cutoff of that moment.
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<TimeCutoffFilter>(name_, time_of_, cutoff_());
  }
  const char* Name() const override { return factory_name_.c_str(); }

 private:
  std::string name_;
  std::string factory_name_;
  ValueTime time_of_;
  std::function<int64_t()> cutoff_;
};

}  // namespace

std::shared_ptr<rocksdb::CompactionFilterFactory> NewTimeCutoffFilterFactory(
    std::string name, ValueTime time_of, std::function<int64_t()> cutoff) {
  return std::make_shared<TimeCutoffFactory>(std::move(name), time_of, std::move(cutoff));
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewRetentionFilterFactory(
    int retention_days, std::function<int64_t()> now_seconds) {
  return NewTimeCutoffFilterFactory(
      "edge.RecordRetention", RecordWallMicros,
      [days = int64_t{retention_days}, now = std::move(now_seconds)] {
        return (now() - days * 86400) * 1000000;
      });
}

}  // namespace edge::ledger
