// The Responses API's stored state: what a body names, the body a stored conversation
// resolves it to, what is kept of an answer; malformed stored values read as absent.

#include "providers/api/responses_state.h"

#include <gtest/gtest.h>

#include "providers/api/client_api.h"
#include "providers/api/test_util.h"

namespace edge::providers::api {
namespace {

using apitest::JsonEq;

const std::string kTurn1 =
    R"([{"type":"message","role":"user","content":"Hello"},)"
    R"({"id":"msg_1","type":"message","role":"assistant","status":"completed",)"
    R"("content":[{"type":"output_text","text":"Hi there","annotations":[]}]}])";

std::optional<std::string> NoItems(std::string_view) { return std::nullopt; }

TEST(ResponsesState, RefsOfABody) {
  ResponsesStateRefs r = ResponsesStoredRefs(
      R"({"model":"m","previous_response_id":"resp_1","input":[{"type":"item_reference","id":"fc_2"},)"
      R"({"role":"user","content":"x"},{"type":"item_reference","id":"msg_3"}]})");
  EXPECT_EQ(r.previous_response_id, "resp_1");
  EXPECT_EQ(r.item_ids, (std::vector<std::string>{"fc_2", "msg_3"}));
  EXPECT_TRUE(ResponsesStoredRefs(R"({"model":"m","input":"x"})").empty());
  EXPECT_TRUE(ResponsesStoredRefs(R"({"model":"m","input":"x","previous_response_id":null})").empty());
  EXPECT_TRUE(ResponsesStoredRefs("not json").empty());
  EXPECT_TRUE(ResponsesStoredRefs("[1,2]").empty());
}

TEST(ResponsesState, PreviousConversationGoesBeforeTheInput) {
  std::string code;
  auto r = ResolveResponsesState(
      R"({"model":"m","instructions":"Be brief","previous_response_id":"resp_1","input":"And now?","stream":true})",
      kTurn1, NoItems, &code);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(JsonEq(*r, R"({"model":"m","instructions":"Be brief","stream":true,"input":[)" +
                             kTurn1.substr(1, kTurn1.size() - 2) +
                             R"(,{"type":"message","role":"user","content":"And now?"}]})"))
      << *r;
  // The resolved body translates for any provider, the turns in order.
  auto canonical = ResponsesApi().ToCanonical(*r);
  ASSERT_TRUE(canonical.ok()) << canonical.status().ToString();
  const std::string& body = canonical->openai_body;
  const size_t hello = body.find("Hello"), hi = body.find("Hi there"), now = body.find("And now?");
  ASSERT_NE(hello, std::string::npos);
  EXPECT_LT(hello, hi);
  EXPECT_LT(hi, now);
  EXPECT_NE(body.find(R"("role":"assistant")"), std::string::npos);
}

TEST(ResponsesState, ItemReferencesResolveById) {
  std::string code;
  auto items = [](std::string_view id) -> std::optional<std::string> {
    if (id == "fc_1") {
      return R"({"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":"{}"})";
    }
    return std::nullopt;
  };
  auto r = ResolveResponsesState(
      R"({"model":"m","input":[{"role":"user","content":"q"},{"type":"item_reference","id":"fc_1"},)"
      R"({"type":"function_call_output","call_id":"call_1","output":"42"}]})",
      std::nullopt, items, &code);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->find("item_reference"), std::string::npos);
  EXPECT_NE(r->find(R"("call_id":"call_1","name":"f")"), std::string::npos) << *r;
  EXPECT_TRUE(ResponsesApi().ToCanonical(*r).ok());
}

TEST(ResponsesState, UnknownIdsAreRefusedByName) {
  std::string code;
  auto r = ResolveResponsesState(R"({"model":"m","previous_response_id":"resp_gone","input":"x"})",
                                 std::nullopt, NoItems, &code);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Previous response with id 'resp_gone' not found.");
  EXPECT_EQ(code, "previous_response_not_found");
  code.clear();
  r = ResolveResponsesState(R"({"model":"m","input":[{"type":"item_reference","id":"msg_9"}]})",
                            std::nullopt, NoItems, &code);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Item with id 'msg_9' not found.");
  EXPECT_EQ(code, "item_not_found");
}

TEST(ResponsesState, MalformedStoredValuesAreAbsent) {
  for (std::string stored : {"", "not json", "{}", "[1]", R"([{"a":1},2])", "[", "null",
                             R"([{"type":"item_reference","id":"x"}])"}) {
    std::string code;
    auto r = ResolveResponsesState(R"({"model":"m","previous_response_id":"resp_1","input":"x"})",
                                   stored, NoItems, &code);
    ASSERT_FALSE(r.ok()) << stored;
    EXPECT_EQ(code, "previous_response_not_found") << stored;
  }
  for (std::string stored : {"", "[]", "\"s\"", "{", R"({"type":"item_reference","id":"i"})"}) {
    std::string code;
    auto r = ResolveResponsesState(R"({"model":"m","input":[{"type":"item_reference","id":"i"}]})",
                                   std::nullopt,
                                   [&](std::string_view) { return std::optional(stored); }, &code);
    ASSERT_FALSE(r.ok()) << stored;
    EXPECT_EQ(code, "item_not_found") << stored;
  }
}

TEST(ResponsesState, MalformedBodiesAreInvalidArguments) {
  for (std::string body : {"", "[]", R"({"model":"m"})", R"({"model":"m","input":5})",
                           R"({"model":"m","input":"x","previous_response_id":5})"}) {
    std::string code;
    auto r = ResolveResponsesState(body, kTurn1, NoItems, &code);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body;
  }
}

TEST(ResponsesState, InputItemsOfABody) {
  EXPECT_TRUE(JsonEq(*ResponsesInputItems(R"({"model":"m","input":"Hi"})"),
                     R"([{"type":"message","role":"user","content":"Hi"}])"));
  EXPECT_TRUE(JsonEq(*ResponsesInputItems(R"({"model":"m","input":[{"role":"user","content":"a"}]})"),
                     R"([{"role":"user","content":"a"}])"));
  EXPECT_FALSE(ResponsesInputItems(R"({"model":"m"})").ok());
}

TEST(ResponsesState, WhatIsKeptOfAnAnswer) {
  auto keep = ResponsesConversation(
      R"([{"type":"message","role":"user","content":"Hello"}])",
      R"({"id":"resp_1","object":"response","output":[{"id":"msg_1","type":"message","role":"assistant",)"
      R"("status":"completed","content":[{"type":"output_text","text":"Hi there","annotations":[]}]}]})");
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ(keep->response_id, "resp_1");
  EXPECT_TRUE(JsonEq(keep->conversation, kTurn1)) << keep->conversation;
  ASSERT_EQ(keep->items.size(), 1u);
  EXPECT_EQ(keep->items[0].first, "msg_1");
  for (std::string answer : {"", "{}", R"({"id":"","output":[]})", R"({"id":"r","output":{}})",
                             R"({"id":5,"output":[]})", "[]"}) {
    EXPECT_FALSE(ResponsesConversation("[]", answer).ok()) << answer;
  }
  EXPECT_FALSE(ResponsesConversation("nope", R"({"id":"r","output":[]})").ok());
}

}  // namespace
}  // namespace edge::providers::api
