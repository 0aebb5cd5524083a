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
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16));  // same thread, same prefix
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace edge::net
