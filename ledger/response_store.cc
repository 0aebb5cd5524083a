#include "ledger/response_store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/write_batch.h>

namespace edge::ledger {
namespace {

constexpr char kVersion = 1;
constexpr size_t kHeader = 1 + 8;

class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(int64_t now_s) : now_s_(now_s) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    std::optional<int64_t> expiry = StoredValueExpiry(std::string_view(value.data(), value.size()));
    return expiry.has_value() && *expiry <= now_s_;
  }
  const char* Name() const override { return "edge.ResponseExpiry"; }

 private:
  int64_t now_s_;
};

class ExpiryFactory final : public rocksdb::CompactionFilterFactory {
 public:
  explicit ExpiryFactory(std::function<int64_t()> now) : now_(std::move(now)) {}
  // One filter per compaction, with the time of that moment.
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<ExpiryFilter>(now_());
  }
  const char* Name() const override { return "edge.ResponseExpiryFactory"; }

 private:
  std::function<int64_t()> now_;
};

}  // namespace

std::string StoredResponseKey(std::string_view response_id) {
  return "r" + std::string(response_id);
}

std::string StoredItemKey(std::string_view item_id) { return "i" + std::string(item_id); }

std::string EncodeStoredValue(int64_t expires_at_s, std::string_view json) {
  std::string v;
  v.reserve(kHeader + json.size());
  v.push_back(kVersion);
  const uint64_t e = static_cast<uint64_t>(expires_at_s);
  for (int shift = 56; shift >= 0; shift -= 8) v.push_back(static_cast<char>((e >> shift) & 0xff));
  v.append(json);
  return v;
}

std::optional<int64_t> StoredValueExpiry(std::string_view value) {
  if (value.size() < kHeader || value[0] != kVersion) return std::nullopt;
  uint64_t e = 0;
  for (size_t i = 1; i < kHeader; ++i) e = (e << 8) | static_cast<unsigned char>(value[i]);
  return static_cast<int64_t>(e);
}

std::optional<std::string_view> DecodeStoredValue(std::string_view value, int64_t now_s) {
  std::optional<int64_t> expiry = StoredValueExpiry(value);
  if (!expiry || *expiry <= now_s || value.size() == kHeader) return std::nullopt;
  return value.substr(kHeader);
}

Result<std::optional<std::string>> ReadStored(const Store& store, std::string_view key,
                                              int64_t now_s) {
  if (store.Handle(Family::kResponses) == nullptr) return std::optional<std::string>();
  EDGE_ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(Family::kResponses, key));
  if (!value) return std::optional<std::string>();
  std::optional<std::string_view> json = DecodeStoredValue(*value, now_s);
  if (!json) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*json));
}

Status StoredResponsePart::Fill(rocksdb::WriteBatch& batch, Store& store) {
  rocksdb::ColumnFamilyHandle* family = store.Handle(Family::kResponses);
  if (family == nullptr) return Internal("the store has no responses family");
  for (const auto& [key, value] : puts_) {
    EDGE_RETURN_IF_ERROR(FromRocks(batch.Put(family, key, value), "stored response"));
  }
  return Status::Ok();
}

std::shared_ptr<rocksdb::CompactionFilterFactory> NewResponseExpiryFilterFactory(
    std::function<int64_t()> now_seconds) {
  return std::make_shared<ExpiryFactory>(std::move(now_seconds));
}

}  // namespace edge::ledger
