// A worker's commit journal read back after a crash (ledger/journal_ring.h, journal_entry.h):
// the file is whatever the disk holds, so both the ring's frames and the entries in them are
// untrusted. The first byte picks: an entry (ParseJournalEntry, then DecodeRecord on its
// record and DecodeRecordFields on its audit tail, as the replay does), or a whole ring file (the rest: head and floor, then the ring's
// 4 KiB of entries) walked with ForEachPending. Checks: never crashes; an entry that parses
// is made of the input's bytes and writes back to exactly them; a walk hands out only
// payloads inside the ring.

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/audit_binary.h"
#include "ledger/journal_entry.h"
#include "ledger/journal_ring.h"
#include "ledger/record.h"

namespace {

using namespace edge::ledger;

void Check(bool ok) {
  if (!ok) std::abort();
}

void Entry(std::string_view in) {
  std::optional<JournalEntry> e = ParseJournalEntry(in);
  if (!e) return;
  Check(e->record.size() + e->audit_tail.size() + 5 == in.size());
  std::string again(JournalEntrySize(e->record, e->audit_tail), '\0');
  WriteJournalEntry(again.data(), e->record, e->audit_tail);
  // An older entry (version 1) is written back as the current version, otherwise the same.
  Check(again.substr(1) == in.substr(1) && (e->audit_format == 1 || again == in));
  (void)DecodeRecord(e->record);
  AuditRecord audit;
  if (e->audit_format == 2 && DecodeRecordFields(e->audit_tail, &audit)) {
    Check(EncodeRecordFields(audit, audit.node, audit.caller) == e->audit_tail);
  }
}

// A 4 KiB ring whose header's head and floor and whose entries come from the input.
void Ring(std::string_view in) {
  static const std::string path = [] {
    char tmpl[] = "/tmp/journal-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    ::unlink(tmpl);
    return std::string(tmpl);
  }();
  constexpr size_t kCapacity = 4096;
  std::string file(4096 + kCapacity, '\0');
  std::memcpy(file.data(), "EDGEJRN1", 8);
  const uint64_t capacity = kCapacity;
  std::memcpy(file.data() + 8, &capacity, 8);
  if (in.size() >= 16) {
    std::memcpy(file.data() + 64, in.data(), 8);       // head
    std::memcpy(file.data() + 128, in.data() + 8, 8);  // floor
    in.remove_prefix(16);
  }
  std::memcpy(file.data() + 4096, in.data(), std::min(in.size(), kCapacity));
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0) return;
  Check(write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size()));
  ::close(fd);
  auto ring = JournalRing::Open(path, kCapacity);
  if (ring.ok()) {
    (void)(*ring)->ForEachPending([&](std::string_view payload) {
      Check(payload.size() < kCapacity);
      Entry(payload);
    });
  }
  ::unlink(path.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Entry(in);
  } else {
    Ring(in);
  }
  return 0;
}
