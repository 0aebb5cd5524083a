// The Gemini streamGenerateContent (SSE) decoder on arbitrary bytes cut at arbitrary
// points; the same bytes also go through the adapter's other parsers (request translation,
// whole answers, embeddings both ways, error bodies). The first byte picks the split
// pattern. Checks: never crashes; decoding does not depend on the split; tool calls are
// numbered densely with JSON-object arguments; what the translators produce is valid JSON;
// every tool call id an answer gives (thought signatures ride in them) is accepted back.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_json.h"
#include "providers/gemini/adapter.h"

namespace {

using edge::providers::ProviderError;
using edge::providers::StreamDelta;
using edge::providers::ToolCall;
using edge::providers::Usage;
using edge::providers::gemini::GeminiAdapter;

void Check(bool ok) {
  if (!ok) std::abort();
}

using edge::fuzz::IsJson;

// A client sends the answer's tool calls back with their results: the request must build
// (an id's thought signature decodes) and name each call's function.
void CheckIdsGoBack(const std::vector<ToolCall>& calls) {
  if (calls.empty()) return;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("messages");
  w.StartArray();
  w.StartObject();
  w.Key("role");
  w.String("assistant");
  w.Key("tool_calls");
  w.StartArray();
  for (const ToolCall& c : calls) {
    w.StartObject();
    w.Key("id");
    w.String(c.id.data(), static_cast<rapidjson::SizeType>(c.id.size()));
    w.Key("function");
    w.StartObject();
    w.Key("name");
    w.String(c.name.data(), static_cast<rapidjson::SizeType>(c.name.size()));
    w.Key("arguments");
    w.String(c.arguments.data(), static_cast<rapidjson::SizeType>(c.arguments.size()));
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  for (const ToolCall& c : calls) {
    w.StartObject();
    w.Key("role");
    w.String("tool");
    w.Key("tool_call_id");
    w.String(c.id.data(), static_cast<rapidjson::SizeType>(c.id.size()));
    w.Key("content");
    w.String("ok");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  edge::providers::Target target;
  target.model = "gemini-3-pro-preview";
  auto call =
      GeminiAdapter().BuildChat(target, std::string_view(buf.GetString(), buf.GetSize()), false);
  Check(call.ok() && IsJson(call->body));
}

// Everything observable about one decoding, in one comparable string.
std::string Decode(std::string_view in, const std::vector<size_t>& steps) {
  auto decoder = GeminiAdapter().NewStreamDecoder();
  std::vector<StreamDelta> out;
  size_t pos = 0, k = 0;
  bool failed = false;
  while (pos < in.size() && !failed) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    failed = !decoder->Feed(in.substr(pos, n), &out).ok();
    pos += n;
  }
  const edge::Status finish = decoder->Finish(&out);
  std::string seen;
  int tools = 0;
  std::vector<ToolCall> calls;
  for (const StreamDelta& d : out) {
    if (d.kind == StreamDelta::Kind::kToolCallStart) {
      Check(d.index == tools++);
      calls.push_back({d.tool_id, d.tool_name, ""});
    }
    if (d.kind == StreamDelta::Kind::kToolCallArgs) {
      Check(d.index < tools && IsJson(d.text));
      calls[d.index].arguments += d.text;
    }
    seen += std::to_string(static_cast<int>(d.kind)) + "|" + std::to_string(d.index) + "|" +
            d.text + "|" + d.tool_id + "|" + d.tool_name + "|" + d.finish_reason + "|" + d.id +
            "|" + d.model + "|" + std::to_string(d.usage.input_tokens) + "\n";
  }
  seen += "finish " + finish.ToString() + "\n";
  CheckIdsGoBack(calls);
  const Usage& u = decoder->usage();
  seen += "usage " + std::to_string(u.input_tokens) + " " + std::to_string(u.output_tokens) + " " +
          std::to_string(u.cached_input_tokens) + (u.reported ? " r" : "") + "\n";
  if (const auto& e = decoder->error()) {
    Check(e->status >= 400 && e->status < 600);
    seen += "error " + e->type + " " + e->message + " " + std::to_string(e->status) + "\n";
  }
  return seen;
}

// The same bytes as a request, an answer, embeddings and an error body.
void CheckJsonParsers(std::string_view in) {
  edge::providers::Target target;
  target.model = "gemini-2.5-flash";
  auto call = GeminiAdapter().BuildChat(target, in, true);
  if (call.ok()) Check(IsJson(call->body));
  auto embed = GeminiAdapter().BuildEmbeddings(target, in);
  if (embed.ok()) Check(IsJson(embed->body));
  auto chat = GeminiAdapter().ParseChat(in);
  if (chat.ok()) {
    for (const auto& tool : chat->tool_calls) Check(IsJson(tool.arguments));
    CheckIdsGoBack(chat->tool_calls);
  }
  Usage usage;
  auto embeddings = GeminiAdapter().ParseEmbeddings(target, in, &usage);
  if (embeddings.ok()) Check(IsJson(*embeddings));
  for (int status : {400, 429, 500, 503}) {
    const ProviderError e = GeminiAdapter().ClassifyError(status, {}, in);
    Check(!e.message.empty() && e.status >= 400 && e.status < 600);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<size_t> whole = {in.size() + 1};
  const std::vector<size_t> steps = {static_cast<size_t>(mode % 7) + 1, 1,
                                     static_cast<size_t>(mode >> 3) + 2};
  Check(Decode(in, whole) == Decode(in, steps));
  CheckJsonParsers(in);
  return 0;
}
