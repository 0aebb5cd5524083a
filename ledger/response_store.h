#pragma once

// Responses API answers the node keeps so that `previous_response_id` and `item_reference`
// resolve for every provider (responses.store: true), in the store's "responses" family:
//   "r" + response id -> the conversation up to and including that response: a JSON array of
//                        Responses API items (its input, its own previous_response_id
//                        resolved, then its output items);
//   "i" + item id     -> one item, for an `item_reference` naming it.
// A value is a version byte, the expiry (unix seconds, big-endian int64), then the JSON.
// An expired value reads as absent at once, and compaction drops it (RocksDB's
// TTL-by-compaction-filter pattern, as retention_filter.h). A value this code cannot read
// is absent too: a stored response never fails a request in another way, nor crashes.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "ledger/job_part.h"
#include "ledger/store.h"

namespace rocksdb {
class CompactionFilterFactory;
}

namespace edge::ledger {

std::string StoredResponseKey(std::string_view response_id);
std::string StoredItemKey(std::string_view item_id);

std::string EncodeStoredValue(int64_t expires_at_s, std::string_view json);
// The expiry of a value in this format, or nullopt when it is not one.
std::optional<int64_t> StoredValueExpiry(std::string_view value);
// The JSON of a value in this format that has not expired at `now_s`, else nullopt.
std::optional<std::string_view> DecodeStoredValue(std::string_view value, int64_t now_s);

// The live JSON under `key` (nullopt: absent, expired or unreadable). Any thread; it may
// read from disk, so never on an event loop (the node reads through its writer thread).
Result<std::optional<std::string>> ReadStored(const Store& store, std::string_view key,
                                              int64_t now_s);

// A request's stored response as a part of its ledger commit (job_part.h): it reaches the
// WAL with the request's record or not at all.
class StoredResponsePart final : public JobPart {
 public:
  void Add(std::string key, std::string value) {
    puts_.emplace_back(std::move(key), std::move(value));
  }
  Status Fill(rocksdb::WriteBatch& batch, Store& store) override;

 private:
  std::vector<std::pair<std::string, std::string>> puts_;
};

// The "responses" family's compaction filter: drops values whose expiry has passed; keeps
// what it cannot read (expiry never destroys what it does not understand).
std::shared_ptr<rocksdb::CompactionFilterFactory> NewResponseExpiryFilterFactory(
    std::function<int64_t()> now_seconds);

}  // namespace edge::ledger
