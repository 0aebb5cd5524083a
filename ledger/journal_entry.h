#pragma once

// What a worker's journal (journal_ring.h) holds of one request's commit: the ledger record
// (record.h's encoding) and, when the audit log is on, the audit record's chain-independent
// part (AuditChain::EncodeTail). Layout: a version byte, the record's length (4 bytes,
// little-endian), the record, the tail (the rest; empty: no audit record). Version 2's tail is
// format 2's fields (audit_binary.h); version 1's, written by older nodes, a format-1 line's
// tail (audit_codec.h: EncodeRecordTail). WriteJournalEntry writes version 2.
//
// ParseJournalEntry reads bytes from a file (a damaged or edited journal): it checks every
// length (tests/fuzz/journal_entry_fuzz.cc).

#include <cstddef>
#include <optional>
#include <string_view>

namespace edge::ledger {

struct JournalEntry {
  std::string_view record;      // EncodeRecord's bytes
  std::string_view audit_tail;  // empty: the request has no audit record
  int audit_format = 2;         // of audit_tail: AuditChain::AppendTail's `format`
};

size_t JournalEntrySize(std::string_view record, std::string_view audit_tail);
// Writes the entry into `out`, which has JournalEntrySize bytes.
void WriteJournalEntry(char* out, std::string_view record, std::string_view audit_tail);
std::optional<JournalEntry> ParseJournalEntry(std::string_view payload);

}  // namespace edge::ledger
