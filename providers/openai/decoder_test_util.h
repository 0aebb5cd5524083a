#pragma once

// Test helpers for adapters' golden tests (openai, azure, gemini): fixtures, stream decoding
// at every split, JSON comparison. Test-only; header-only.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "providers/adapter.h"

namespace edge::providers::testing {

inline std::string Testdata(const std::string& provider, const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/" + provider + "/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << provider << "/" << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A delta as one line, so sequences compare and print readably.
inline std::string Describe(const StreamDelta& d) {
  using Kind = StreamDelta::Kind;
  switch (d.kind) {
    case Kind::kStart:
      return "start " + d.id + " " + d.model;
    case Kind::kText:
      return "text " + d.text;
    case Kind::kToolCallStart:
      return "tool " + std::to_string(d.index) + " " + d.tool_id + " " + d.tool_name;
    case Kind::kToolCallArgs:
      return "args " + std::to_string(d.index) + " " + d.text;
    case Kind::kFinish:
      return "finish " + d.finish_reason;
    case Kind::kUsage:
      return "usage in=" + std::to_string(d.usage.input_tokens) +
             " cached=" + std::to_string(d.usage.cached_input_tokens) +
             " out=" + std::to_string(d.usage.output_tokens) +
             (d.usage.reported ? "" : " unreported");
  }
  return "?";
}

struct Decoded {
  std::vector<std::string> deltas;
  Status feed;    // the first non-ok Feed
  Status finish;  // Finish's
  std::optional<ProviderError> error;
  Usage usage;
};

inline Decoded Decode(const Adapter& adapter, const std::vector<std::string_view>& pieces) {
  Decoded r;
  std::unique_ptr<StreamDecoder> decoder = adapter.NewStreamDecoder();
  std::vector<StreamDelta> out;
  for (std::string_view p : pieces) {
    Status s = decoder->Feed(p, &out);
    if (!s.ok() && r.feed.ok()) r.feed = s;
  }
  r.finish = decoder->Finish(&out);
  for (const StreamDelta& d : out) r.deltas.push_back(Describe(d));
  r.error = decoder->error();
  r.usage = decoder->usage();
  return r;
}

inline Decoded DecodeWhole(const Adapter& adapter, std::string_view s) {
  return Decode(adapter, {s});
}

// The stream decodes to the same deltas, status and usage however it is split: in two at
// every byte, byte by byte, and in random pieces.
inline void ExpectSameAtEverySplit(const Adapter& adapter, std::string_view s) {
  const Decoded whole = DecodeWhole(adapter, s);
  auto same = [&whole](const Decoded& d, const std::string& how) {
    EXPECT_EQ(d.deltas, whole.deltas) << how;
    EXPECT_EQ(d.feed.ok(), whole.feed.ok()) << how;
    EXPECT_EQ(d.finish.ok(), whole.finish.ok()) << how;
    EXPECT_EQ(d.usage.input_tokens, whole.usage.input_tokens) << how;
    EXPECT_EQ(d.usage.output_tokens, whole.usage.output_tokens) << how;
  };
  for (size_t i = 0; i <= s.size(); ++i) {
    same(Decode(adapter, {s.substr(0, i), s.substr(i)}), "split at " + std::to_string(i));
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  same(Decode(adapter, bytes), "byte by byte");
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string_view> pieces;
    std::uniform_int_distribution<size_t> len(0, 40);
    for (size_t pos = 0; pos < s.size();) {
      const size_t n = std::min(len(rng), s.size() - pos);
      pieces.push_back(s.substr(pos, n));
      pos += n;
    }
    same(Decode(adapter, pieces), "random pieces " + std::to_string(round));
  }
}

// Truncations and byte flips of a stream never crash, and a stream cut anywhere before
// `complete_from` bytes does not finish ok.
inline void ExpectRobust(const Adapter& adapter, std::string_view s, size_t complete_from) {
  for (size_t i = 0; i < s.size(); ++i) {
    const Decoded d = DecodeWhole(adapter, s.substr(0, i));
    if (i < complete_from) {
      EXPECT_FALSE(d.feed.ok() && d.finish.ok()) << "cut at " << i;
    }
  }
  std::string mutated(s);
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    mutated[rng() % mutated.size()] = static_cast<char>(rng() % 256);
    (void)DecodeWhole(adapter, mutated);
  }
}

// JSON texts equal as values (RapidJSON compares objects' members by name, in any order).
inline ::testing::AssertionResult JsonEqual(std::string_view actual, std::string_view expected) {
  rapidjson::Document a, e;
  a.Parse(actual.data(), actual.size());
  e.Parse(expected.data(), expected.size());
  if (a.HasParseError()) return ::testing::AssertionFailure() << "not JSON: " << actual;
  if (e.HasParseError()) return ::testing::AssertionFailure() << "expected is not JSON";
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << actual << "\nwant " << expected;
}

inline std::optional<std::string> Header(const HttpCall& call, std::string_view name) {
  for (const auto& [k, v] : call.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

}  // namespace edge::providers::testing
