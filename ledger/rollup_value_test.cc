#include "ledger/rollup_value.h"

#include <gtest/gtest.h>

#include <limits>

namespace edge::ledger {
namespace {

TEST(RollupValue, RoundTripsAndSums) {
  RollupValue a{.requests = 1, .input_tokens = 10, .output_tokens = 20, .cost_micros = 300};
  RollupValue b{.requests = 2, .cached_input_tokens = 5, .cost_micros = -1, .failed_requests = 1};
  EXPECT_EQ(DecodeRollup(EncodeRollup(a)), a);
  std::string sum;
  ASSERT_TRUE(SumEncodedRollups(EncodeRollup(a), EncodeRollup(b), &sum));
  RollupValue expect = a;
  expect += b;
  EXPECT_EQ(DecodeRollup(sum), expect);
  EXPECT_EQ(expect.requests, 3);
  EXPECT_EQ(expect.cost_micros, 299);
}

// The stored bytes are the format (roll-ups written by older nodes are summed with new ones).
TEST(RollupValue, EncodesToTheStoredFormat) {
  const std::string bytes =
      EncodeRollup({.requests = 1, .cost_micros = -2, .unpriced_requests = 0x0102});
  std::string want = "\x01\x09";
  want += std::string("\x01\0\0\0\0\0\0\0", 8);                // requests
  want += std::string(3 * 8, '\0');                            // tokens
  want += std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8);  // cost_micros -2
  want += std::string(3 * 8, '\0');
  want += std::string("\x02\x01\0\0\0\0\0\0", 8);  // unpriced_requests
  EXPECT_EQ(bytes, want);
}

TEST(RollupValue, MalformedEncodingsAreRefused) {
  std::string good = EncodeRollup({.requests = 1});
  EXPECT_FALSE(DecodeRollup(""));
  EXPECT_FALSE(DecodeRollup(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(DecodeRollup(good + "x"));
  std::string wrong_version = good;
  wrong_version[0] = 2;
  EXPECT_FALSE(DecodeRollup(wrong_version));
  std::string huge_count = good;
  huge_count[1] = static_cast<char>(200);
  EXPECT_FALSE(DecodeRollup(huge_count));
  std::string out;
  EXPECT_FALSE(SumEncodedRollups(good, "zz", &out));
}

TEST(RollupValue, LongerEncodingsFromNewerNodesAreSummedWhole) {
  std::string longer = EncodeRollup({.requests = 1});
  longer[1] = static_cast<char>(RollupValue::kFields + 1);
  longer += std::string("\x05\0\0\0\0\0\0\0", 8);
  std::string out;
  ASSERT_TRUE(SumEncodedRollups(EncodeRollup({.requests = 2}), longer, &out));
  EXPECT_EQ(out.size(), longer.size());
  EXPECT_EQ(out.back(), '\0');
  EXPECT_EQ(out[out.size() - 8], 5);
  EXPECT_EQ(DecodeRollup(out)->requests, 3);
}

TEST(RollupValue, SumsSaturateInsteadOfWrapping) {
  RollupValue big{.cost_micros = std::numeric_limits<int64_t>::max() - 1};
  big += RollupValue{.cost_micros = 10};
  EXPECT_EQ(big.cost_micros, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(SaturatingAdd(std::numeric_limits<int64_t>::min(), -1),
            std::numeric_limits<int64_t>::min());
}

}  // namespace
}  // namespace edge::ledger
