#include "ledger/journal_entry.h"

#include <cstdint>
#include <cstring>

namespace edge::ledger {
namespace {

// 2: the audit tail is format 2's fields (audit_binary.h); 1: a format-1 line's tail, as
// nodes journaled before format 2 (still read, so that their entries are not lost).
constexpr uint8_t kJournalVersion = 2;
constexpr uint8_t kVersionWithFormat1Tail = 1;
constexpr size_t kFixedBytes = 5;  // version, record length

}  // namespace

size_t JournalEntrySize(std::string_view record, std::string_view audit_tail) {
  return kFixedBytes + record.size() + audit_tail.size();
}

void WriteJournalEntry(char* out, std::string_view record, std::string_view audit_tail) {
  out[0] = static_cast<char>(kJournalVersion);
  const auto n = static_cast<uint32_t>(record.size());
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
  std::memcpy(out + kFixedBytes, record.data(), record.size());
  std::memcpy(out + kFixedBytes + record.size(), audit_tail.data(), audit_tail.size());
}

std::optional<JournalEntry> ParseJournalEntry(std::string_view payload) {
  if (payload.size() < kFixedBytes) return std::nullopt;
  const auto version = static_cast<uint8_t>(payload[0]);
  if (version != kJournalVersion && version != kVersionWithFormat1Tail) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(payload[1 + i])) << (8 * i);
  if (n == 0 || n > payload.size() - kFixedBytes) return std::nullopt;
  JournalEntry e;
  e.record = payload.substr(kFixedBytes, n);
  e.audit_tail = payload.substr(kFixedBytes + n);
  e.audit_format = version == kJournalVersion ? 2 : 1;
  return e;
}

}  // namespace edge::ledger
