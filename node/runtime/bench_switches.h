#pragma once

// Measurement only: a build configured with -DEDGE_BENCH_SWITCHES=ON (bench/ledger_cost.sh
// makes one) reads EDGE_BENCH_WITHOUT=audit|ledger at start-up, so that one binary measures
// the node with and without its durable writes. Any other build has no such code: neither the
// audit log nor the ledger can be switched off in a node people run.

#include <cstdlib>
#include <string_view>

namespace edge::runtime {

// True when this measurement build was told to run without `part` ("audit": no audit records
// or digests; "ledger": no ledger commit at all, so no audit records either; "hold": records
// and audit lines written as always, but each response released without waiting for its
// round to reach the WAL, which is what the group-commit hold costs).
inline bool BenchWithout([[maybe_unused]] std::string_view part) {
#ifdef EDGE_BENCH_SWITCHES
  // Read once: "hold" is asked on every request, and a getenv per request (~250
  // instructions) would tilt the comparison it exists for.
  static const char* const without = std::getenv("EDGE_BENCH_WITHOUT");
  return without != nullptr && part == without;
#else
  return false;
#endif
}

}  // namespace edge::runtime
