// InspectRequest and RewriteRequest on arbitrary bytes. Checks: never crashes; errors are
// InvalidArgument with a message; every body InspectRequest accepts is rewritten, and the
// rewrite is valid JSON that differs from the input only in "model" and (when asked)
// stream_options.include_usage, compared after parsing both with RapidJSON.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/openai/openai.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool ParseJson(std::string_view text, rapidjson::Document* d) {
  d->Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                   text.size());
  return !d->HasParseError();
}

std::string Serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// Index loops rather than iterators: RapidJSON 1.1's member iterators make clang warn about
// C++20's reversed operators.
rapidjson::Value* Member(rapidjson::Value& obj, const char* name) {
  for (rapidjson::SizeType i = 0; i < obj.MemberCount(); ++i) {
    if (obj.MemberBegin()[i].name == name) return &obj.MemberBegin()[i].value;
  }
  return nullptr;
}

// What the rewrite should be: the input's document with the edits applied by RapidJSON.
std::string Expected(rapidjson::Document& d, std::string_view model, bool ask_usage) {
  auto& a = d.GetAllocator();
  for (rapidjson::SizeType i = 0; i < d.MemberCount(); ++i) {
    auto& m = d.MemberBegin()[i];
    if (m.name == "model") m.value.SetString(model.data(), model.size(), a);
  }
  if (!ask_usage) return Serialize(d);
  rapidjson::Value* options = Member(d, "stream_options");
  if (options == nullptr) {
    rapidjson::Value added(rapidjson::kObjectType);
    added.AddMember("include_usage", true, a);
    d.AddMember("stream_options", added, a);
    return Serialize(d);
  }
  if (options->IsNull()) options->SetObject();
  bool found = false;
  for (rapidjson::SizeType i = 0; i < options->MemberCount(); ++i) {
    auto& m = options->MemberBegin()[i];
    if (m.name == "include_usage") {
      m.value.SetBool(true);
      found = true;
    }
  }
  if (!found) {  // RewriteRequest puts it first
    rapidjson::Value first(rapidjson::kObjectType);
    first.AddMember("include_usage", true, a);
    for (rapidjson::SizeType i = 0; i < options->MemberCount(); ++i) {
      auto& m = options->MemberBegin()[i];
      first.AddMember(m.name, m.value, a);
    }
    *options = first;
  }
  return Serialize(d);
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
  for (bool ask_usage : {false, true}) {
    auto r = edge::providers::openai::RewriteRequest(body, model, ask_usage);
    Check(r.ok());
    rapidjson::Document out, in;
    // simdjson takes some numbers RapidJSON cannot hold (0e1000074); no comparison then.
    if (!ParseJson(body, &in)) continue;
    Check(in.IsObject());
    Check(ParseJson(*r, &out) && out.IsObject());
    Check(Serialize(out) == Expected(in, model, ask_usage));
  }
  return 0;
}
