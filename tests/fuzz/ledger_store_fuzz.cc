// The decoders of the ledger's stored bytes on arbitrary input: a damaged or edited store must
// never crash a node or a `spend --data-dir`. The first byte picks the decoder; the rest is
// the value (or key). Checks: whatever decodes re-encodes to the same bytes (records, roll-up
// values) or parses back to the same cell (keys), and summing two values never fails on
// values that decode.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger/record.h"
#include "ledger/record_header.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto r = edge::ledger::DecodeRecord(in);
      if (r) Check(edge::ledger::EncodeRecord(*r) == in);
      auto t = edge::ledger::RecordWallMicros(in);
      if (r) Check(t && *t == r->wall_micros);
      break;
    }
    case 1: {
      auto v = edge::ledger::DecodeRollup(in);
      std::string sum;
      bool summed = edge::ledger::SumEncodedRollups(in, in, &sum);
      Check(summed == v.has_value());
      if (v) {
        edge::ledger::RollupValue twice = *v;
        twice += *v;
        Check(edge::ledger::DecodeRollup(sum) == twice);
        if (in.size() == 2 + 8 * edge::ledger::RollupValue::kFields) {
          Check(edge::ledger::EncodeRollup(*v) == in);
        }
      }
      break;
    }
    case 2: {
      auto c = edge::ledger::ParseCellKey(in);
      if (c) {
        std::string again =
            c->is_tag ? edge::ledger::TagCellKey(c->granularity, c->period, c->tag_name,
                                                 c->tag_value, c->dims)
                      : edge::ledger::CellKey(c->granularity, c->period, c->dims);
        Check(again == in);
      }
      break;
    }
    default: {
      // Two roll-up values of possibly different field counts.
      size_t half = in.size() / 2;
      std::string out;
      bool ok = edge::ledger::SumEncodedRollups(in.substr(0, half), in.substr(half), &out);
      if (ok) Check(edge::ledger::DecodeRollup(out).has_value());
      break;
    }
  }
  return 0;
}
