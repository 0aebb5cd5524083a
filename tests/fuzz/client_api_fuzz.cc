// ToCanonical of the three client APIs (providers/api) on arbitrary bytes: never crashes;
// errors are InvalidArgument with a message; an accepted body yields a canonical body that
// is a JSON object InspectRequest accepts with the same model and stream flag. A Responses
// body naming a stored-state feature is refused.
// The stream encoders have their own target, client_stream_fuzz.cc.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "providers/api/client_api.h"
#include "providers/openai/openai.h"

namespace {

using edge::providers::api::ClientApi;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckToCanonical(const ClientApi& api, std::string_view body) {
  auto r = api.ToCanonical(body);
  if (!r.ok()) {
    Check(r.status().code() == edge::Code::kInvalidArgument);
    Check(!r.status().message().empty());
    return;
  }
  Check(!r->model.empty());
  auto info = edge::providers::openai::InspectRequest(r->openai_body);
  Check(info.ok());
  Check(info->model == r->model);
  Check(info->stream == r->stream);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  CheckToCanonical(edge::providers::api::OpenAiChatApi(), body);
  CheckToCanonical(edge::providers::api::AnthropicMessagesApi(), body);
  CheckToCanonical(edge::providers::api::ResponsesApi(), body);
  // A body that needs stored state is never translated.
  if (!edge::providers::api::ResponsesStatefulFeature(body).empty()) {
    Check(!edge::providers::api::ResponsesApi().ToCanonical(body).ok());
  }
  return 0;
}
