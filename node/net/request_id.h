#pragma once

// Request ids for X-Edge-Request-Id and the ledger: 24 lowercase hex characters, unique
// across threads and restarts: a random 64-bit prefix drawn once per process (getrandom) and
// a process-wide count, which threads take in blocks of 64 (one atomic add per block; no
// syscall, no lock per id). So ids sort nearly in the order requests began, whichever worker
// took them: the ledger's records, keyed by id, then arrive nearly in key order, and RocksDB
// moves most flushed files down the levels instead of rewriting them (ledger/store.cc).
// Thread-safe.

#include <string>

namespace edge::net {

constexpr size_t kRequestIdLength = 24;

// A new id, e.g. "3f9a0c2d41e8b7a6000000a1".
std::string NewRequestId();
// The same into `out` (exactly kRequestIdLength chars, no terminator): for reused buffers.
void FillRequestId(char* out);

}  // namespace edge::net
