#pragma once

// The audit log's lines: each record and each digest is one line of JSON in
// `llm-edge audit export` and in GET /admin/audit, the form a verifier is given.
//
//   {"type":"record","format":2,"seq":7,"prev":"<hex>",...,"outcome":"ok","hash":"<hex>"}
//   {"type":"record","seq":7,"prev":"<hex>",...,"outcome":"ok","hash":"<hex>"}     (format 1)
//   {"type":"digest","digest_seq":1,...,"key_id":"<hex>","signature":"<hex DER>"}
//
// A record's hash is SHA-256(prev || canonical bytes). In format 2, what a node writes now,
// the canonical bytes are the record's compact binary encoding (audit_binary.h), which is
// also what the store keeps: its line renders that record, and a verifier re-encodes what the
// line says to check the hash. In format 1, what nodes wrote before, the store kept the line
// itself and its canonical bytes are the line without the trailing `,"hash":"..."` member
// (closed by `}`). Both verify, in one chain. A digest's signed bytes are its line without the
// trailing `,"signature":"..."` member; its own hash (the next digest's `prev_digest_hash`) is
// SHA-256 of the whole line. Members are written in one fixed order, in RapidJSON's writer's
// spelling (record lines by a faster encoder that the tests hold to byte-identity with
// RapidJSON's); the decoders accept only that exact form (they re-encode what they read and
// compare), so a line has one spelling and a verifier never has to guess what was hashed.
// Decoders read untrusted bytes with simdjson; they never crash or throw.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ledger/audit_hash.h"
#include "ledger/audit_record.h"

namespace edge::ledger {

// Lines longer than this are refused by the decoders (a record is ~1 KiB).
inline constexpr size_t kMaxAuditLineBytes = 1 << 20;

struct RecordLine {
  int format = 2;
  uint64_t seq = 0;
  Sha256 prev{};
  Sha256 hash{};              // as the line states it
  bool hash_matches = false;  // ChainHash(prev, canonical bytes) == hash
  AuditRecord record;         // caller as stored (after audit.caller_ip)
  std::string canonical;      // the bytes the hash covers
};

// The format-2 line of `record` (whose caller already went through audit.caller_ip) at `seq`
// after `prev`, as an export renders its stored form; *hash receives its hash.
std::string EncodeFormat2RecordLine(const AuditRecord& record, uint64_t seq, const Sha256& prev,
                                    Sha256* hash);

// A value of the store's "audit" family (format 2's binary or format 1's line) decoded; a
// value that is neither is an error.
Result<RecordLine> DecodeStoredRecord(std::string_view value);
// The line an export gives for a stored value: format 1's is itself; format 2's is rendered
// (with the hash the value states). A value that does not decode becomes
// `{"type":"record","format":2,"unreadable":"<hex of the value>"}`, which no verifier accepts:
// the damage shows where it is instead of vanishing from the export.
std::string RecordLineOfStored(std::string_view value);
// A stored value's time, without decoding the rest.
std::optional<int64_t> StoredValueTime(std::string_view value);

// Format 1, as nodes stored it before format 2 (and as a journal written by them holds its
// tail): the line of `record` at `seq` after `prev`; *hash receives its hash.
std::string EncodeRecordLine(const AuditRecord& record, uint64_t seq, const Sha256& prev,
                             Sha256* hash);
// The same with `node` and `caller` in place of the record's own (the writer fills them in
// without copying or changing the worker's record).
std::string EncodeRecordLine(const AuditRecord& record, std::string_view node,
                             std::string_view caller, uint64_t seq, const Sha256& prev,
                             Sha256* hash);
// The same in two steps. The tail, the members from "time" to the closing brace, does not
// depend on the chain. EncodeRecordLineFromTail(EncodeRecordTail(r, n, c), seq, prev, h) is
// EncodeRecordLine(r, n, c, seq, prev, h), byte for byte. (Format 2's lines end in the same
// tail.)
std::string EncodeRecordTail(const AuditRecord& record, std::string_view node,
                             std::string_view caller);
std::string EncodeRecordLineFromTail(std::string_view tail, uint64_t seq, const Sha256& prev,
                                     Sha256* hash);
// A record line of either format.
Result<RecordLine> DecodeRecordLine(std::string_view line);

// A signed statement of the chain, as AWS CloudTrail's digest files are: "records
// first_seq..last_seq exist and the chain's head after them is chain_head", chained to the
// previous digest so that none can be dropped unseen. first_seq > last_seq never happens
// (a digest is written only when records were added since the previous one).
struct AuditDigest {
  uint64_t digest_seq = 0;  // 1, 2, ...
  std::string node;
  uint64_t first_seq = 0, last_seq = 0;
  Sha256 chain_head{};        // the hash of record last_seq
  Sha256 prev_digest_hash{};  // SHA-256 of the previous digest's line; zeros for digest 1
  int64_t time_us = 0;
  std::string key_id;  // hex SHA-256 of the signing key's public key (DER)
  bool operator==(const AuditDigest&) const = default;
};

// The bytes a digest's signature covers.
std::string EncodeDigestSignedBytes(const AuditDigest& digest);
// The full line: the signed bytes with the DER signature appended.
std::string EncodeDigestLine(const AuditDigest& digest, std::string_view signature_der);

struct DigestLine {
  AuditDigest digest;
  std::string signed_bytes;
  std::string signature_der;
  Sha256 line_hash{};  // SHA-256 of the whole line
};
Result<DigestLine> DecodeDigestLine(std::string_view line);

// Cheap reads of one member of a canonical line, without decoding or checking the rest (to
// select and order lines; verification decodes them fully). nullopt when not found.
std::optional<int64_t> RecordLineTime(std::string_view line);
std::optional<uint64_t> DigestLineLastSeq(std::string_view line);

enum class LineType { kRecord, kDigest, kUnknown };
// From the line's first member (canonical lines start with it).
LineType TypeOfLine(std::string_view line);

}  // namespace edge::ledger
