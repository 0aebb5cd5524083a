#pragma once

// Shared by the client API tests: testdata, JSON comparison, stream building and reading.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "providers/api/client_api.h"
#include "providers/sse.h"

namespace edge::providers::api::apitest {

inline std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(EDGE_SOURCE_DIR) + "/providers/api/testdata/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string Compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

inline std::string Pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

// `actual` equals testdata/<name> byte for byte. EDGE_UPDATE_GOLDEN=1 rewrites the file
// instead (review the diff before committing it).
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  if (std::getenv("EDGE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(std::string(EDGE_SOURCE_DIR) + "/providers/api/testdata/" + name,
                  std::ios::binary)
        << actual;
    return;
  }
  EXPECT_EQ(actual, Testdata(name)) << name;
}

// Equal as JSON values (member order aside); shows both pretty-printed when not.
inline ::testing::AssertionResult JsonEq(const std::string& actual, const std::string& expected) {
  rapidjson::Document a, e;
  a.Parse(actual.c_str(), actual.size());
  e.Parse(expected.c_str(), expected.size());
  if (a.HasParseError()) return ::testing::AssertionFailure() << "actual is not JSON: " << actual;
  if (e.HasParseError()) return ::testing::AssertionFailure() << "expected is not JSON";
  if (a == e) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual:\n" << Pretty(a) << "\nexpected:\n" << Pretty(e);
}

inline StreamDelta Start(const std::string& id, const std::string& model = "upstream-model") {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kStart;
  d.id = id;
  d.model = model;
  return d;
}

inline StreamDelta Text(const std::string& text) {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kText;
  d.text = text;
  return d;
}

inline StreamDelta ToolStart(int index, const std::string& id, const std::string& name) {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kToolCallStart;
  d.index = index;
  d.tool_id = id;
  d.tool_name = name;
  return d;
}

inline StreamDelta ToolArgs(int index, const std::string& text) {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kToolCallArgs;
  d.index = index;
  d.text = text;
  return d;
}

inline StreamDelta Finish(const std::string& reason) {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kFinish;
  d.finish_reason = reason;
  return d;
}

inline Usage MakeUsage(int64_t in, int64_t out, int64_t cached = 0) {
  Usage u;
  u.input_tokens = in;
  u.output_tokens = out;
  u.cached_input_tokens = cached;
  u.reported = true;
  return u;
}

inline StreamDelta UsageDelta(const Usage& u) {
  StreamDelta d;
  d.kind = StreamDelta::Kind::kUsage;
  d.usage = u;
  return d;
}

// The client's stream for `deltas` followed by End(end_usage).
inline std::string EncodeStream(const ClientApi& api, const CanonicalRequest& request,
                                const std::vector<StreamDelta>& deltas, const Usage& end_usage) {
  auto encoder = api.NewStreamEncoder(request);
  std::string out;
  for (const StreamDelta& d : deltas) encoder->Encode(d, &out);
  encoder->End(end_usage, &out);
  return out;
}

struct Event {
  std::string name;  // the `event:` field
  std::string data;
};

// Splits a stream the way SDKs do; every event must be complete.
inline std::vector<Event> ReadEvents(const std::string& stream) {
  std::vector<Event> events;
  SseFramer framer;
  framer.Feed(stream, [&](const SseEvent& e) {
    if (e.has_data) events.push_back({std::string(e.event), std::string(e.data)});
  });
  EXPECT_EQ(framer.pending(), 0u) << "unfinished event at the end of the stream";
  return events;
}

inline CanonicalRequest StreamRequest(const std::string& model, bool wants_usage = false) {
  CanonicalRequest r;
  r.model = model;
  r.stream = true;
  r.client_wants_usage = wants_usage;
  r.created = 1718345014;
  return r;
}

}  // namespace edge::providers::api::apitest
