// InspectRequest and RewriteRequest on arbitrary bytes. Checks: never crashes; errors are
// InvalidArgument with a message; every body InspectRequest accepts is rewritten, and the
// rewrite is valid JSON that differs from the input only in "model" and (when asked)
// stream_options.include_usage: both are read with a JsonTree (numbers as written) and
// compared after writing them out minified, the input with the edits applied.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/json_tree.h"
#include "providers/openai/openai.h"

namespace {

using edge::providers::JsonNode;
using edge::providers::JsonTree;
using edge::providers::JsonWriter;

void Check(bool ok) {
  if (!ok) std::abort();
}

void Key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// stream_options as RewriteRequest leaves it: include_usage true, first when it was absent.
void WriteOptions(JsonWriter& w, const JsonNode& options) {
  w.StartObject();
  if (options.Find("include_usage") == nullptr) {
    Key(w, "include_usage");
    w.Bool(true);
  }
  for (const JsonNode& m : options) {
    Key(w, m.name());
    if (m.name() == "include_usage") {
      w.Bool(true);
    } else {
      edge::providers::WriteJson(w, m);
    }
  }
  w.EndObject();
}

// What the rewrite should be: the input's document with the edits applied.
std::string Expected(const JsonNode& root, std::string_view model, bool ask_usage) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const JsonNode& m : root) {
    Key(w, m.name());
    if (m.name() == "model") {
      w.String(model.data(), static_cast<rapidjson::SizeType>(model.size()));
    } else if (m.name() == "stream_options" && ask_usage) {
      WriteOptions(w, m);  // an object, or null, which becomes one
    } else {
      edge::providers::WriteJson(w, m);
    }
  }
  if (ask_usage && root.Find("stream_options") == nullptr) {
    Key(w, "stream_options");
    w.StartObject();
    Key(w, "include_usage");
    w.Bool(true);
    w.EndObject();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto info = edge::providers::openai::InspectRequest(body);
  const std::string_view model = "upstream/\"model\"\xc3\xa9";
  if (!info.ok()) {
    Check(info.status().code() == edge::Code::kInvalidArgument);
    Check(!info.status().message().empty());
    auto r = edge::providers::openai::RewriteRequest(body, model, true);  // must not crash
    Check(r.ok() || r.status().code() == edge::Code::kInvalidArgument);
    return 0;
  }
  Check(!info->model.empty());
  Check(!info->client_wants_usage || info->stream);
  // What InspectRequest accepts, the node's reader accepts too: one policy for every API
  // (valid UTF-8 JSON, numbers of any length, no key twice in one object).
  JsonTree in;
  edge::providers::JsonReadOptions deep;
  deep.max_depth = 1100;  // as deep as simdjson's DOM goes
  Check(in.Parse(body, deep).ok() && in.root().IsObject());
  for (bool ask_usage : {false, true}) {
    auto r = edge::providers::openai::RewriteRequest(body, model, ask_usage);
    Check(r.ok());
    JsonTree out;
    Check(out.Parse(*r, deep).ok() && out.root().IsObject());
    Check(edge::providers::ToJsonText(out.root()) == Expected(in.root(), model, ask_usage));
  }
  return 0;
}
