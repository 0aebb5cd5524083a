#include "ledger/response_store.h"

#include <rocksdb/write_batch.h>

#include "ledger/retention_filter.h"

namespace edge::ledger {
namespace {

constexpr char kResponseVersion = 1;
constexpr size_t kResponseHeader = 1 + 8;

}  // namespace

std::string StoredResponseKey(std::string_view response_id) {
  return "r" + std::string(response_id);
}

std::string StoredItemKey(std::string_view item_id) { return "i" + std::string(item_id); }

std::string EncodeStoredValue(int64_t expires_at_s, std::string_view json) {
  std::string v;
  v.reserve(kResponseHeader + json.size());
  v.push_back(kResponseVersion);
  const uint64_t e = static_cast<uint64_t>(expires_at_s);
  for (int shift = 56; shift >= 0; shift -= 8) v.push_back(static_cast<char>((e >> shift) & 0xff));
  v.append(json);
  return v;
}

std::optional<int64_t> StoredValueExpiry(std::string_view value) {
  if (value.size() < kResponseHeader || value[0] != kResponseVersion) return std::nullopt;
  uint64_t e = 0;
  for (size_t i = 1; i < kResponseHeader; ++i) e = (e << 8) | static_cast<unsigned char>(value[i]);
  return static_cast<int64_t>(e);
}

std::optional<std::string_view> DecodeStoredValue(std::string_view value, int64_t now_s) {
  std::optional<int64_t> expiry = StoredValueExpiry(value);
  if (!expiry || *expiry <= now_s || value.size() == kResponseHeader) return std::nullopt;
  return value.substr(kResponseHeader);
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
  // Expired once its expiry is not after now: below now + 1 (whole seconds).
  return NewTimeCutoffFilterFactory("edge.ResponseExpiry", StoredValueExpiry,
                                    [now = std::move(now_seconds)] { return now() + 1; });
}

}  // namespace edge::ledger
