#include "node/net/http_types.h"

#include <gtest/gtest.h>

namespace edge::net {
namespace {

TEST(HeaderListTest, FindIgnoresCaseAndKeepsOrder) {
  HeaderList h;
  h.Add("Content-Type", "application/json");
  h.Add("X-A", "1");
  h.Add("x-a", "2");
  ASSERT_NE(h.Find("content-type"), nullptr);
  EXPECT_EQ(*h.Find("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(*h.Find("x-A"), "1");
  EXPECT_EQ(h.Find("missing"), nullptr);
  EXPECT_EQ(h.size(), 3u);
}

TEST(HeaderListTest, RemoveAndSet) {
  HeaderList h;
  h.Add("A", "1");
  h.Add("B", "2");
  h.Add("a", "3");
  h.Remove("A");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, "B");
  h.Set("b", "4");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, "b");
  EXPECT_EQ(h.begin()->second, "4");
  h.Add("C", "5");
  std::vector<std::string> names;
  for (const auto& [n, v] : h) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "C"}));
}

TEST(HeaderListTest, ClearKeepsStorageAndAddEmptyReusesIt) {
  HeaderList h;
  h.Add("Authorization", std::string(100, 'k'));
  const char* storage = h.begin()->second.data();
  h.Clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.begin(), h.end());
  auto& f = h.AddEmpty();
  EXPECT_TRUE(f.first.empty());
  EXPECT_TRUE(f.second.empty());
  f.second.append(50, 'v');
  EXPECT_EQ(h.begin()->second.data(), storage);  // no new allocation
  EXPECT_EQ(h.size(), 1u);
  h.Release();
  EXPECT_TRUE(h.empty());
}

TEST(HttpTypesTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(799), "Unknown");
  EXPECT_TRUE(EqualsIgnoreCase("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(EqualsIgnoreCase("keep-alive", "keep-alivE "));
}

// ASCII letters only fold: every pair of bytes in every position of strings up to 24 bytes.
TEST(HttpTypesTest, EqualsIgnoreCaseMatchesTheDefinition) {
  auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  for (size_t len = 1; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; y += (len > 9 ? 7 : 1)) {
          std::string a(len, 'k'), b(len, 'K');
          a[at] = static_cast<char>(x);
          b[at] = static_cast<char>(y);
          ASSERT_EQ(EqualsIgnoreCase(a, b),
                    lower(static_cast<unsigned char>(x)) == lower(static_cast<unsigned char>(y)))
              << len << " " << at << " " << x << " " << y;
        }
      }
    }
  }
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("X-Forwarded-For-Something-Long", "x-forwarded-for-something-LONG"));
  EXPECT_FALSE(
      EqualsIgnoreCase("x-forwarded-for-something-long", "x-forwarded-for-something-lonG "));
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));  // 0x40 and 0x60: not letters
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // 0x5b and 0x7b
  EXPECT_FALSE(EqualsIgnoreCase("\xc1", "\xe1"));
}

TEST(HttpTypesTest, FramingHeadersInAnyCaseAndNoLookAlikes) {
  for (std::string_view name : {"Connection", "KEEP-ALIVE", "content-length", "Transfer-Encoding"}) {
    EXPECT_TRUE(IsFramingHeader(name)) << name;
  }
  for (std::string_view name : {"", "connectio", "connections", "keep_alive", "content-lengtH ",
                                "transfer-encodin", "te", "host", "upgrade", "x-content-length"}) {
    EXPECT_FALSE(IsFramingHeader(name)) << name;
  }
}

TEST(HttpTypesTest, PathStripsQuery) {
  HttpRequest r;
  r.target = "/v1/models?x=1";
  EXPECT_EQ(r.path(), "/v1/models");
  r.target = "/v1/models";
  EXPECT_EQ(r.path(), "/v1/models");
}

// The word-at-a-time check against the plain definition, for every byte value in every
// position of the 8-byte blocks and of the tail.
TEST(HttpTypesTest, FieldValueCheckMatchesDefinitionForEveryByte) {
  for (int b = 0; b < 256; ++b) {
    const bool allowed = !((b < 0x20 && b != '\t') || b == 0x7f);
    for (size_t pos = 0; pos < 19; ++pos) {
      std::string value(19, 'a');
      value[pos] = static_cast<char>(b);
      EXPECT_EQ(IsValidFieldValue(value), allowed) << "byte " << b << " at " << pos;
    }
  }
  EXPECT_TRUE(IsValidFieldValue(""));
  EXPECT_TRUE(IsValidFieldValue("Bearer sk-\xc3\xa9\t x"));  // obs-text and tab
}

TEST(HttpTypesTest, FieldNamesAreTokens) {
  EXPECT_TRUE(IsValidFieldName("X-Edge-Request-Id"));
  EXPECT_TRUE(IsValidFieldName("x-amz-date"));
  EXPECT_FALSE(IsValidFieldName(""));
  EXPECT_FALSE(IsValidFieldName("Bad Name"));
  EXPECT_FALSE(IsValidFieldName("Bad:Name"));
  EXPECT_FALSE(IsValidFieldName("Bad\r\nName"));
  EXPECT_FALSE(IsValidFieldName(std::string("Nul\0", 4)));
}

TEST(HeaderListTest, AddReusesClearedStorage) {
  HeaderList list;
  list.Add("X-A-Rather-Long-Header-Name", "a value long enough to live on the heap");
  const char* name_storage = list.begin()->first.data();
  list.Clear();
  list.Add("X-Another-Long-Header-Name", "another value that also needs the heap");
  EXPECT_EQ(list.begin()->first.data(), name_storage);
  EXPECT_EQ(list.begin()->first, "X-Another-Long-Header-Name");
}

}  // namespace
}  // namespace edge::net
