#pragma once

// The audit log's stored form of a record (format 2): compact binary, about a quarter of the
// record's JSON line. Every byte of a record passes through RocksDB's WAL (whose CRC32C this
// machine's librocksdb computes in software), its memtable, a flush and compactions, and is
// hashed: the JSON spelling cost more than all of the chain's other work. Exports and
// GET /admin/audit still give JSON lines (audit_codec.h renders them, and a verifier re-encodes
// what a line says to these bytes to check its hash).
//
//   value      = canonical || prev (32 bytes) || hash (32 bytes)
//   canonical  = 0x02 || varint seq || fields
//   hash       = SHA-256(prev || canonical)         (the chain link of format 1, over other bytes)
//   fields     = time_us (8 bytes, little-endian two's complement)
//                || str request_id || str node || str key_id || str caller
//                || byte caller_ip (0 full, 1 truncate, 2 hash)
//                || str country || str jurisdiction || str jurisdiction_source
//                || str residency || str model
//                || varint n || n x (str deployment || str jurisdiction || str excluded)
//                || varint n || n x (str deployment || str jurisdiction || str outcome
//                                    || sint status || sint latency_ms)
//                || sint status || str outcome
//   varint     = unsigned LEB128 in its shortest form; sint = zigzag, then varint (protobuf's)
//   str        = varint byte length || the bytes; a value that is not valid UTF-8 is stored
//                with each byte >= 0x80 replaced by '?' (as its JSON line writes it)
//
// Decoders read untrusted bytes (an edited store): they check every length, accept only the
// one encoding of a record (they re-encode what they read and compare) and never crash.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/audit_hash.h"
#include "ledger/audit_record.h"

namespace edge::ledger {

inline constexpr char kStoredRecordTag = 0x02;

// The fields of `record` with `node` and `caller` in place of its own (what a worker encodes;
// it does not depend on the chain).
std::string EncodeRecordFields(const AuditRecord& record, std::string_view node,
                               std::string_view caller);
// The same bytes from views (what the worker encodes).
std::string EncodeRecordFields(const AuditRecordRef& record, std::string_view node,
                               std::string_view caller);
// The record the fields describe (node and caller included); false unless `fields` is exactly
// one record's canonical encoding.
bool DecodeRecordFields(std::string_view fields, AuditRecord* out);

// tag || varint seq || fields: what the hash covers after prev.
std::string RecordCanonicalBytes(std::string_view fields, uint64_t seq);
// The stored value of record `seq` after `prev`; *hash receives its hash.
std::string EncodeStoredRecord(std::string_view fields, uint64_t seq, const Sha256& prev,
                               Sha256* hash);

struct StoredRecord {
  uint64_t seq = 0;
  Sha256 prev{}, hash{};
  std::string_view canonical;  // into the value
  std::string_view fields;     // into the value
};
// The parts of a format-2 value; nullopt when its framing is broken (the fields are not
// decoded: DecodeRecordFields does that).
std::optional<StoredRecord> SplitStoredRecord(std::string_view value);
// A format-2 value's time, read without decoding the rest.
std::optional<int64_t> StoredRecordTime(std::string_view value);

}  // namespace edge::ledger
