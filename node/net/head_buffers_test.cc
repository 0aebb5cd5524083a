// The response-head buffers connections borrow while they answer: a buffer given back is
// taken again with its memory (no allocation per request on a warm worker), and the free
// list keeps neither inline strings nor outsized ones, nor more than its bound.

#include <gtest/gtest.h>

#include <thread>

#include "node/net/server_connection.h"

namespace edge::net {
namespace {

std::string WithCapacity(size_t n) {
  std::string s;
  s.reserve(n);
  s = "HTTP/1.1 200 OK\r\n";
  return s;
}

// Each test runs on a thread of its own: the free list is per thread.
template <typename F>
void OnFreshThread(F f) {
  std::thread t(f);
  t.join();
}

TEST(HeadBuffers, AGivenBufferIsTakenAgainEmptyWithItsMemory) {
  OnFreshThread([] {
    EXPECT_LE(HeadBuffers::Take().capacity(), HeadBuffers::kInlineBytes);  // none yet
    std::string s = WithCapacity(480);
    const char* memory = s.data();
    HeadBuffers::Give(std::move(s));
    std::string again = HeadBuffers::Take();
    EXPECT_TRUE(again.empty());
    EXPECT_GE(again.capacity(), 480u);
    EXPECT_EQ(again.data(), memory);
    EXPECT_LE(HeadBuffers::Take().capacity(), HeadBuffers::kInlineBytes);  // it was the only one
  });
}

TEST(HeadBuffers, KeepsOnlyOrdinaryBuffersAndAtMostItsBound) {
  OnFreshThread([] {
    HeadBuffers::Give(std::string());           // inline: nothing to keep
    HeadBuffers::Give(WithCapacity(1 << 20));   // grown for an outsized head: let go
    EXPECT_LE(HeadBuffers::Take().capacity(), HeadBuffers::kInlineBytes);
    for (int i = 0; i < 1000; ++i) HeadBuffers::Give(WithCapacity(512));
    int kept = 0;
    while (HeadBuffers::Take().capacity() >= 512) ++kept;
    EXPECT_EQ(kept, 256);
  });
}

}  // namespace
}  // namespace edge::net
