// The OpenAI chat-chunk stream decoder (OpenAI and Azure adapters) on arbitrary bytes cut at
// arbitrary points; the same bytes also go through the adapters' other parsers (request
// body, whole answers, embeddings, error bodies). The first byte picks the split pattern.
// Checks: never crashes; decoding does not depend on the split; tool-call indexes are dense;
// what is produced from valid requests is valid JSON; errors carry an HTTP error status.


#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_json.h"
#include "providers/azure/adapter.h"
#include "providers/openai/adapter.h"
#include "providers/openai/openai.h"

namespace {

using edge::providers::Adapter;
using edge::providers::ProviderError;
using edge::providers::StreamDelta;
using edge::providers::Usage;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Everything observable about one decoding, in one comparable string.
std::string Decode(const Adapter& adapter, std::string_view in, const std::vector<size_t>& steps) {
  auto decoder = adapter.NewStreamDecoder();
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
  for (const StreamDelta& d : out) {
    if (d.kind == StreamDelta::Kind::kToolCallStart) Check(d.index == tools++);
    if (d.kind == StreamDelta::Kind::kToolCallArgs) Check(d.index >= 0 && d.index < tools);
    seen += std::to_string(static_cast<int>(d.kind)) + "|" + std::to_string(d.index) + "|" +
            d.text + "|" + d.tool_id + "|" + d.tool_name + "|" + d.finish_reason + "|" + d.id +
            "|" + d.model + "|" + std::to_string(d.usage.input_tokens) + "\n";
  }
  seen += "finish " + finish.ToString() + "\n";
  const Usage& u = decoder->usage();
  seen += "usage " + std::to_string(u.input_tokens) + " " + std::to_string(u.output_tokens) + " " +
          std::to_string(u.cached_input_tokens) + (u.reported ? " r" : "") + "\n";
  if (const auto& e = decoder->error()) {
    Check(e->status >= 400 && e->status < 600);
    seen += "error " + e->type + " " + e->message + " " + std::to_string(e->status) + "\n";
  }
  return seen;
}

using edge::fuzz::IsJson;

// The same bytes as a request, an answer, embeddings and an error body.
void CheckJsonParsers(const Adapter& adapter, std::string_view in) {
  edge::providers::Target target;
  target.model = "gpt-4o\"x";
  target.api_version = "2024-10-21";
  if (edge::providers::openai::InspectRequest(in).ok()) {
    for (bool stream : {false, true}) {
      auto call = adapter.BuildChat(target, in, stream);
      if (call.ok()) Check(IsJson(call->body));
    }
    auto call = adapter.BuildEmbeddings(target, in);
    if (call.ok()) Check(IsJson(call->body));
  }
  (void)adapter.ParseChat(in);
  Usage usage;
  (void)adapter.ParseEmbeddings(target, in, &usage);
  for (int status : {0, 400, 401, 429, 500, 503, 529}) {
    const ProviderError e = adapter.ClassifyError(status, {}, in);
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
  const Adapter& adapter = (mode & 1) ? edge::providers::azure::AzureAdapter()
                                      : edge::providers::openai::OpenAiAdapter();
  Check(Decode(adapter, in, whole) == Decode(adapter, in, steps));
  CheckJsonParsers(adapter, in);
  return 0;
}
