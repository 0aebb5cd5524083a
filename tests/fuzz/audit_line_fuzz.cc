// The audit log's line decoders (ledger/audit_codec.h) and verifier on arbitrary bytes: an
// export file or a store value is untrusted input to `llm-edge audit verify`. Checks: never
// crashes; a line that decodes re-encodes to exactly the same bytes (one spelling per line,
// so the hash covers what the decoder read); hash_matches agrees with a recomputation; the
// cheap member reads agree with the full decode; and the verifier survives any sequence of
// lines (the input split at newlines). The whole input is also read as a stored value
// (ledger/audit_binary.h's format 2, or a format-1 line) and rendered as an export would.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger/audit_codec.h"
#include "ledger/audit_residency.h"
#include "ledger/audit_verify.h"

namespace {

using namespace edge::ledger;

void Check(bool ok) {
  if (!ok) std::abort();
}

void OneLine(std::string_view line) {
  (void)TypeOfLine(line);
  std::optional<int64_t> time = RecordLineTime(line);
  std::optional<uint64_t> last = DigestLineLastSeq(line);
  edge::Result<RecordLine> r = DecodeRecordLine(line);
  if (r.ok()) {
    Sha256 hash;
    const std::string again = r->format == 2
                                  ? EncodeFormat2RecordLine(r->record, r->seq, r->prev, &hash)
                                  : EncodeRecordLine(r->record, r->seq, r->prev, &hash);
    Check(again.substr(0, line.size() - 66) == line.substr(0, line.size() - 66));
    Check(r->hash_matches == (hash == r->hash));
    Check(time && *time == r->record.time_us);
    Check(TypeOfLine(line) == LineType::kRecord);
    ResidencyTally tally;
    tally.Add(r->seq, r->record);
  }
  edge::Result<DigestLine> d = DecodeDigestLine(line);
  if (d.ok()) {
    Check(EncodeDigestLine(d->digest, d->signature_der) == line);
    Check(last && *last == d->digest.last_seq);
    Check(TypeOfLine(line) == LineType::kDigest);
  }
  Check(!(r.ok() && d.ok()));
}

// The whole input as a value of the store's "audit" family: one that decodes renders to a
// line that decodes to the same record, canonical bytes and hash verdict.
void StoredValue(std::string_view value) {
  (void)StoredValueTime(value);
  const std::string line = RecordLineOfStored(value);
  edge::Result<RecordLine> stored = DecodeStoredRecord(value);
  if (!stored.ok()) return;
  edge::Result<RecordLine> rendered = DecodeRecordLine(line);
  Check(rendered.ok() && rendered->record == stored->record &&
        rendered->canonical == stored->canonical && rendered->seq == stored->seq &&
        rendered->hash_matches == stored->hash_matches);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  StoredValue(in);
  AuditVerifier genesis(nullptr, true), partial(nullptr, false);
  size_t start = 0;
  while (start <= in.size()) {
    size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    std::string_view line = in.substr(start, nl - start);
    OneLine(line);
    genesis.AddLine(line, "line");
    partial.AddLine(line, "line");
    start = nl + 1;
  }
  AuditVerifyReport a = genesis.Finish(), b = partial.Finish();
  (void)a.Summary();
  (void)b.Summary();
  return 0;
}
