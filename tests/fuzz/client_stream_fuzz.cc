// The stream encoders of the three client APIs (providers/api), driven by canonical deltas
// cut from arbitrary bytes, ending normally or with Fail(): every event they write is whole,
// and its data is a JSON object (or [DONE]).


#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/json_tree.h"
#include "providers/api/client_api.h"
#include "providers/sse.h"

namespace {

using edge::providers::StreamDelta;
using edge::providers::api::ClientApi;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckEvents(const std::string& stream) {
  edge::providers::SseFramer framer;
  framer.Feed(stream, [](const edge::providers::SseEvent& e) {
    if (!e.has_data || e.data == "[DONE]") return;
    edge::providers::JsonTree tree;
    edge::providers::JsonReadOptions options;
    options.refuse_duplicate_keys = false;
    Check(tree.Parse(e.data, options).ok() && tree.root().IsObject());
  });
  Check(framer.pending() == 0);
}

}  // namespace

// Deltas from the input: each byte picks a kind and a tool index, the next few bytes are
// the delta's text. Past 512 bytes, longer inputs only slow the sanitizer runs down.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), std::min<size_t>(size, 512));
  const ClientApi* apis[] = {&edge::providers::api::OpenAiChatApi(),
                             &edge::providers::api::AnthropicMessagesApi(),
                             &edge::providers::api::ResponsesApi()};
  for (const ClientApi* api : apis) {
    edge::providers::api::CanonicalRequest request;
    request.model = "m";
    request.stream = true;
    request.client_wants_usage = !bytes.empty() && (bytes[0] & 1);
    auto encoder = api->NewStreamEncoder(request);
    std::string out;
    for (size_t i = 0; i < bytes.size();) {
      const auto op = static_cast<uint8_t>(bytes[i++]);
      const size_t n = std::min<size_t>(op >> 5, bytes.size() - i);
      StreamDelta d;
      d.kind = static_cast<StreamDelta::Kind>(op % 6);
      d.index = (op >> 3) & 3;
      d.text.assign(bytes.substr(i, n));
      // Deltas come from providers' JSON, which simdjson has checked to be UTF-8.
      for (char& c : d.text) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
      }
      d.id = d.tool_id = d.tool_name = d.finish_reason = d.text;
      i += n;
      encoder->Encode(d, &out);
    }
    if (!bytes.empty() && (bytes.back() & 1)) {
      std::string message(bytes);  // as a provider's or the node's words: UTF-8
      for (char& c : message) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
      }
      encoder->Fail(message, &out);
    } else {
      encoder->End(edge::providers::Usage{}, &out);
    }
    CheckEvents(out);
  }
  return 0;
}
