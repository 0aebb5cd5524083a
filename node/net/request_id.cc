#include "node/net/request_id.h"

#include <sys/random.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

namespace edge::net {

namespace {

// Ids are handed to threads in blocks of this many: one atomic add per block, not per id.
constexpr uint64_t kBlock = 64;
std::atomic<uint64_t> g_next_block{0};

uint64_t RandomPrefix() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), 0) == static_cast<ssize_t>(sizeof(v))) return v;
  // No entropy source (should not happen on Linux >= 3.17): mix time and thread identity,
  // still distinct across restarts in practice.
  v = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  v ^= std::hash<std::thread::id>()(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ull;
  return v;
}

uint64_t ProcessPrefix() {
  static const uint64_t prefix = RandomPrefix();
  return prefix;
}

void Hex(uint64_t v, int digits, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kDigits[v & 0xf];
    v >>= 4;
  }
}

}  // namespace

void FillRequestId(char* out) {
  thread_local uint64_t next = 0;
  thread_local uint64_t block_end = 0;
  if (next == block_end) {
    next = g_next_block.fetch_add(kBlock, std::memory_order_relaxed);
    block_end = next + kBlock;
  }
  const uint64_t n = next++;
  // Past 2^32 ids the prefix moves on by one: still this process's, still increasing.
  Hex(ProcessPrefix() + (n >> 32), 16, out);
  Hex(n & 0xffffffffu, 8, out + 16);
}

std::string NewRequestId() {
  std::string id(kRequestIdLength, '0');
  FillRequestId(id.data());
  return id;
}

}  // namespace edge::net
