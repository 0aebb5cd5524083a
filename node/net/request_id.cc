#include "node/net/request_id.h"

#include <sys/random.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

namespace edge::net {

namespace {

struct IdState {
  uint64_t prefix = 0;
  uint32_t counter = 0;
  bool seeded = false;
};

uint64_t RandomPrefix() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), 0) == static_cast<ssize_t>(sizeof(v))) return v;
  // No entropy source (should not happen on Linux >= 3.17): mix time and thread identity,
  // still distinct across threads and restarts in practice.
  v = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  v ^= std::hash<std::thread::id>()(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ull;
  return v;
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
  thread_local IdState state;
  // A fresh prefix when the 32-bit counter wraps keeps ids unique past 4 billion per thread.
  if (!state.seeded || state.counter == 0xffffffffu) {
    state.prefix = RandomPrefix();
    state.counter = 0;
    state.seeded = true;
  }
  Hex(state.prefix, 16, out);
  Hex(++state.counter, 8, out + 16);
}

std::string NewRequestId() {
  std::string id(kRequestIdLength, '0');
  FillRequestId(id.data());
  return id;
}

}  // namespace edge::net
