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

TEST(HttpTypesTest, PathStripsQuery) {
  HttpRequest r;
  r.target = "/v1/models?x=1";
  EXPECT_EQ(r.path(), "/v1/models");
  r.target = "/v1/models";
  EXPECT_EQ(r.path(), "/v1/models");
}

}  // namespace
}  // namespace edge::net
