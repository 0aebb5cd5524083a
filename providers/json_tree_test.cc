#include "providers/json_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace edge::providers {
namespace {

std::string RoundTrip(std::string_view json, JsonReadOptions options = {}) {
  JsonTree tree;
  Status s = tree.Parse(json, options);
  if (!s.ok()) return "error: " + s.message();
  return ToJsonText(tree.root());
}

TEST(JsonTree, NumbersKeepTheTextTheyArrivedIn) {
  EXPECT_EQ(RoundTrip(R"({"t":0.1,"e":1E+2,"z":-0,"big":123456789012345678901234567890})"),
            R"({"t":0.1,"e":1E+2,"z":-0,"big":123456789012345678901234567890})");
  EXPECT_EQ(RoundTrip("[1e400, 0e1000074, 18446744073709551616]"),
            "[1e400,0e1000074,18446744073709551616]");
  const std::string tiny = "0." + std::string(780, '0') + "1";
  EXPECT_EQ(RoundTrip("{\"temperature\":" + tiny + "}"), "{\"temperature\":" + tiny + "}");
}

TEST(JsonTree, MalformedNumbersAreRefused) {
  for (const char* bad : {"[01]", "[1.]", "[-.5]", "[1x]", "[-]", "[1e]", "[1e+]", "[+1]",
                          "[.5]", "[0x10]", "[1.5e3.2]", "[Infinity]", "[NaN]"}) {
    JsonTree tree;
    Status s = tree.Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
  }
}

TEST(JsonTree, IsJsonNumberFollowsTheGrammar) {
  for (const char* ok : {"0", "-0", "1", "10", "1.5", "-1.5e10", "1E-2", "1e+2", "0.0"}) {
    EXPECT_TRUE(IsJsonNumber(ok)) << ok;
  }
  for (const char* bad : {"", "-", "00", "01", "1.", ".1", "1e", "1e-", "+1", "1 ", " 1", "--1"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

TEST(JsonTree, Int64OnlyForIntegersInRange) {
  JsonTree tree;
  ASSERT_TRUE(tree.Parse("[1, -9223372036854775808, 9223372036854775808, 1.0, 1e2, 5]").ok());
  const JsonNode& a = tree.root();
  ASSERT_EQ(a.Size(), 6u);
  EXPECT_EQ(a[0].Int64(), 1);
  EXPECT_EQ(a[1].Int64(), INT64_MIN);
  EXPECT_FALSE(a[2].Int64());
  EXPECT_FALSE(a[3].Int64());
  EXPECT_FALSE(a[4].Int64());
  EXPECT_EQ(a[5].Int64(), 5);
}

TEST(JsonTree, ReadsEveryType) {
  JsonTree tree;
  ASSERT_TRUE(
      tree.Parse(R"( {"s":"a\"\u00e9\n","n":null,"t":true,"f":false,"a":[1,[],{}],"o":{"k":"v"}} )")
          .ok());
  const JsonNode& root = tree.root();
  ASSERT_TRUE(root.IsObject());
  EXPECT_EQ(root.Size(), 6u);
  EXPECT_EQ(root.Find("s")->text(), "a\"\xc3\xa9\n");
  EXPECT_TRUE(root.Find("n")->IsNull());
  EXPECT_TRUE(root.Find("t")->GetBool());
  EXPECT_TRUE(root.Find("f")->IsBool());
  EXPECT_FALSE(root.Find("f")->GetBool());
  EXPECT_EQ(root.Find("a")->Size(), 3u);
  EXPECT_TRUE((*root.Find("a"))[1].IsArray());
  EXPECT_TRUE((*root.Find("a"))[2].IsObject());
  EXPECT_EQ(root.Find("o")->Find("k")->text(), "v");
  EXPECT_EQ(root.Find("missing"), nullptr);
  EXPECT_EQ(root[5].name(), "o");
}

TEST(JsonTree, ScalarDocuments) {
  EXPECT_EQ(RoundTrip("\"x\""), "\"x\"");
  EXPECT_EQ(RoundTrip(" 12 "), "12");
  EXPECT_EQ(RoundTrip("true"), "true");
  EXPECT_EQ(RoundTrip("null"), "null");
  EXPECT_EQ(RoundTrip("1 2").substr(0, 6), "error:");
  EXPECT_EQ(RoundTrip("nul").substr(0, 6), "error:");
  EXPECT_EQ(RoundTrip("truex").substr(0, 6), "error:");
}

TEST(JsonTree, MalformedDocumentsAreRefused) {
  const std::string cases[] = {
      "",          " ",         "{",           "}",          "[1,]",        "{\"a\":}",
      "{\"a\" 1}", "{a:1}",     "[1 2]",       "{} {}",      "{}x",         "[\"\\x\"]",
      "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"a\x01\"]", "[\"\xff\"]", "[\"\xc3\"]",
      std::string("{\"a\":1}\0", 8), std::string("[\"a\0\"]", 6), "[tru]", "[nulll]",
  };
  for (const std::string& c : cases) {
    JsonTree tree;
    Status s = tree.Parse(c);
    EXPECT_FALSE(s.ok()) << c;
    EXPECT_EQ(s.message().rfind("is not valid ", 0), 0u) << s.message();
    EXPECT_TRUE(tree.root().IsNull());
  }
}

TEST(JsonTree, DuplicateKeysRefusedAtAnyDepthUnlessKept) {
  EXPECT_EQ(RoundTrip(R"({"a":1,"a":2})"),
            "error: has a duplicate key \"a\" (a key may appear only once in an object)");
  EXPECT_EQ(RoundTrip(R"({"x":[{"b":1,"c":2,"b":3}]})").substr(0, 26), "error: has a duplicate key");
  // The same key written two ways is the same key.
  EXPECT_EQ(RoundTrip(R"({"model":1,"mod\u0065l":2})").substr(0, 26), "error: has a duplicate key");
  std::string many = "{";
  for (int i = 0; i < 100; ++i) many += "\"k" + std::to_string(i) + "\":0,";
  EXPECT_EQ(RoundTrip(many + "\"k0\":1}").substr(0, 26), "error: has a duplicate key");
  EXPECT_EQ(RoundTrip(many + "\"k100\":1}").substr(0, 6), "{\"k0\":");
  JsonReadOptions keep;
  keep.refuse_duplicate_keys = false;
  EXPECT_EQ(RoundTrip(R"({"a":1,"a":2})", keep), R"({"a":1,"a":2})");
  JsonTree tree;
  ASSERT_TRUE(tree.Parse(R"({"a":1,"a":2})", keep).ok());
  EXPECT_EQ(tree.root().Find("a")->text(), "1");
}

TEST(JsonTree, DepthIsBounded) {
  JsonReadOptions options;
  options.max_depth = 4;
  EXPECT_EQ(RoundTrip("[[[[1]]]]", options), "[[[[1]]]]");
  EXPECT_EQ(RoundTrip("[[[[[1]]]]]", options).substr(0, 36), "error: is not valid JSON: nested too");
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(RoundTrip(deep).substr(0, 6), "error:");
}

TEST(JsonTree, ValueCountIsBounded) {
  JsonReadOptions options;
  options.max_values = 5;  // the root and four elements
  EXPECT_EQ(RoundTrip("[1,2,3,4]", options), "[1,2,3,4]");
  EXPECT_EQ(RoundTrip("[1,2,3,4,5]", options), "error: holds more than 5 JSON values");
  EXPECT_EQ(RoundTrip(R"({"a":[],"b":{},"c":"x","d":null})", options).substr(0, 5), "{\"a\":");
  EXPECT_EQ(RoundTrip(R"({"a":[1],"b":{},"c":"x","d":null})", options).substr(0, 12),
            "error: holds");
  std::string many = "[";
  for (int i = 0; i < (1 << 20); ++i) many += "0,";
  many += "0]";
  EXPECT_EQ(RoundTrip(many), "error: holds more than 1048576 JSON values");
}

TEST(JsonTree, TreesAreIndependentOfTheInputAndOfEachOther) {
  JsonTree a, b;
  {
    std::string text = R"({"s":"short","n":1.50})";
    ASSERT_TRUE(a.Parse(text).ok());
    text.assign(text.size(), 'x');
  }
  ASSERT_TRUE(b.Parse(R"(["other"])").ok());
  JsonTree moved = std::move(a);
  EXPECT_EQ(ToJsonText(moved.root()), R"({"s":"short","n":1.50})");
  EXPECT_EQ(ToJsonText(b.root()), R"(["other"])");
}

TEST(JsonTree, AFailedParseLeavesAnEmptyTree) {
  JsonTree tree;
  ASSERT_TRUE(tree.Parse("[1]").ok());
  EXPECT_FALSE(tree.Parse("[1").ok());
  EXPECT_TRUE(tree.root().IsNull());
}

}  // namespace
}  // namespace edge::providers
