#include "node/admin/query_params.h"

#include <gtest/gtest.h>

namespace edge::admin {
namespace {

TEST(QueryParams, ReadsPairsAndDecodes) {
  auto q = ParseQuery("/admin/spend?group_by=team%2Cfeature&period=2026-12&from=&x+y=a+b#frag");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->at("group_by"), "team,feature");
  EXPECT_EQ(q->at("period"), "2026-12");
  EXPECT_EQ(q->at("from"), "");
  EXPECT_EQ(q->at("x y"), "a b");
  EXPECT_EQ(q->size(), 4u);
  EXPECT_TRUE(ParseQuery("/admin/spend")->empty());
  EXPECT_TRUE(ParseQuery("/a?")->empty());
  EXPECT_TRUE(ParseQuery("/a?&&")->empty());
  EXPECT_EQ(ParseQuery("/a?flag")->at("flag"), "");
}

TEST(QueryParams, MalformedQueriesAreRefused) {
  EXPECT_FALSE(ParseQuery("/a?x=%").ok());
  EXPECT_FALSE(ParseQuery("/a?x=%4").ok());
  EXPECT_FALSE(ParseQuery("/a?x=%zz").ok());
  EXPECT_FALSE(ParseQuery("/a?x=1&x=2").ok());
  std::string many = "/a?";
  for (int i = 0; i < 40; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(ParseQuery(many).ok());
  auto nul = ParseQuery("/a?x=%00");
  ASSERT_TRUE(nul.ok());
  EXPECT_EQ(nul->at("x"), std::string(1, '\0'));
}

}  // namespace
}  // namespace edge::admin
