#include "node/net/request_id.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace edge::net {
namespace {

TEST(RequestIdTest, TwentyFourLowercaseHex) {
  std::string id = NewRequestId();
  ASSERT_EQ(id.size(), kRequestIdLength);
  for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
}

TEST(RequestIdTest, UniqueAcrossThreads) {
  std::mutex mu;
  std::set<std::string> all;
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) mine.push_back(NewRequestId());
      std::lock_guard<std::mutex> lock(mu);
      all.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(RequestIdTest, FillWritesExactlyTheId) {
  char buf[kRequestIdLength + 1];
  buf[kRequestIdLength] = '#';
  FillRequestId(buf);
  EXPECT_EQ(buf[kRequestIdLength], '#');
  std::string a(buf, kRequestIdLength);
  std::string b = NewRequestId();
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16));  // same process, same prefix
  EXPECT_NE(a, b);
}

// Each thread's ids increase, and ids of different threads interleave only within the blocks
// in flight: sorted, the ids of all threads are nearly in the order they were made.
TEST(RequestIdTest, IdsIncreaseAndThreadsShareOneSequence) {
  std::string last;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    EXPECT_GT(id, last);
    last = id;
  }
  std::string other_first, other_last;
  std::thread([&] {
    other_first = NewRequestId();
    for (int i = 0; i < 500; ++i) other_last = NewRequestId();
  }).join();
  EXPECT_EQ(other_first.substr(0, 16), last.substr(0, 16));
  EXPECT_GT(other_first, last);  // its first block comes after every block this one took
  for (int i = 0; i < 64; ++i) last = NewRequestId();  // past this thread's current block
  EXPECT_GT(last, other_last);   // so into one taken after the other thread's
}

}  // namespace
}  // namespace edge::net
