// The Anthropic stream decoder and pass-through relay on arbitrary bytes cut at arbitrary
// points; the same bytes also go through the adapter's other parsers (request translation,
// whole answers, error bodies, the pass-through's model rewrite). The first byte picks the
// split pattern. Checks: never crashes; decoding and relaying do not depend on the split; the
// relay's output is the input byte for byte (but an unfinished tail); what the translators
// produce is valid JSON.


#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_json.h"
#include "providers/anthropic/adapter.h"
#include "providers/anthropic/passthrough.h"

namespace {

using edge::providers::ProviderError;
using edge::providers::StreamDelta;
using edge::providers::Usage;
using edge::providers::anthropic::AnthropicAdapter;
using edge::providers::anthropic::PassthroughStream;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Everything observable about one decoding, in one comparable string.
std::string Decode(std::string_view in, const std::vector<size_t>& steps) {
  auto decoder = AnthropicAdapter().NewStreamDecoder();
  std::vector<StreamDelta> out;
  std::string seen;
  size_t pos = 0, k = 0;
  bool failed = false;
  while (pos < in.size() && !failed) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    failed = !decoder->Feed(in.substr(pos, n), &out).ok();
    pos += n;
  }
  const edge::Status finish = decoder->Finish(&out);
  for (const StreamDelta& d : out) {
    seen += std::to_string(static_cast<int>(d.kind)) + "|" + std::to_string(d.index) + "|" +
            d.text + "|" + d.tool_id + "|" + d.tool_name + "|" + d.finish_reason + "|" + d.id +
            "|" + d.model + "|" + std::to_string(d.usage.input_tokens) + "\n";
  }
  seen += "finish " + finish.ToString() + "\n";
  const Usage& u = decoder->usage();
  seen += "usage " + std::to_string(u.input_tokens) + " " + std::to_string(u.output_tokens) +
          " " + std::to_string(u.cached_input_tokens) + (u.reported ? " r" : "") + "\n";
  if (const auto& e = decoder->error()) {
    Check(e->status >= 400 && e->status < 600);
    seen += "error " + e->type + " " + e->message + " " + std::to_string(e->status) + "\n";
  }
  return seen;
}

std::string Relay(std::string_view in, const std::vector<size_t>& steps) {
  PassthroughStream relay;
  std::string out;
  size_t pos = 0, k = 0;
  while (pos < in.size()) {
    const size_t n = std::min(in.size() - pos, steps[k++ % steps.size()]);
    relay.Feed(in.substr(pos, n), &out);
    pos += n;
  }
  relay.Finish(&out);
  Check(in.substr(0, out.size()) == out);  // forwarded untouched, in order
  const Usage& u = relay.usage();
  out += "|" + std::to_string(u.input_tokens) + " " + std::to_string(u.output_tokens) +
         (relay.saw_stop() ? " stop" : "") + (relay.content_started() ? " content" : "") +
         (relay.error() ? " error " + relay.error()->type : "");
  return out;
}

using edge::fuzz::IsJson;

// The same bytes as a request, an answer and an error body.
void CheckJsonParsers(std::string_view in) {
  edge::providers::Target target;
  target.model = "claude-sonnet-4-6";
  auto call = AnthropicAdapter().BuildChat(target, in, true);
  if (call.ok()) Check(IsJson(call->body));
  auto chat = AnthropicAdapter().ParseChat(in);
  if (chat.ok()) {
    for (const auto& tool : chat->tool_calls) Check(IsJson(tool.arguments));
  }
  const ProviderError e = AnthropicAdapter().ClassifyError(529, {.retry_after = "1"}, in);
  Check(e.retryable && !e.message.empty());
  auto rewritten = edge::providers::anthropic::RewriteModel(in, "m\"x");
  if (rewritten.ok()) Check(IsJson(*rewritten));
  (void)edge::providers::anthropic::ExtractUsage(in);
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
  Check(Relay(in, whole) == Relay(in, steps));
  CheckJsonParsers(in);
  return 0;
}
