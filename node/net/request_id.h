#pragma once

// Request ids for X-Edge-Request-Id and the ledger: 24 lowercase hex characters, unique
// across threads and restarts without coordination. Each thread draws a random 64-bit
// prefix once (getrandom) and counts; no syscall per id. Thread-safe.

#include <string>

namespace edge::net {

constexpr size_t kRequestIdLength = 24;

// A new id, e.g. "3f9a0c2d41e8b7a6000000a1".
std::string NewRequestId();
// The same into `out` (exactly kRequestIdLength chars, no terminator): for reused buffers.
void FillRequestId(char* out);

}  // namespace edge::net
