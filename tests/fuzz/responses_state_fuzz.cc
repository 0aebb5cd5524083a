// The stored Responses state (providers/api/responses_state.h, ledger/response_store.h) on
// arbitrary bytes: the input is split at the first NUL into a request body and a stored
// value (as read back from disk). Never crashes; a resolved body is a JSON object whose
// refs are gone and that the Responses translation reads or refuses as InvalidArgument;
// what is kept of an answer is a JSON array.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger/response_store.h"
#include "providers/api/client_api.h"
#include "providers/api/responses_state.h"
#include "providers/json_tree.h"

namespace {

namespace api = edge::providers::api;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t cut = in.find('\0');
  const std::string_view body = in.substr(0, cut);
  const std::string_view stored = cut == std::string_view::npos ? "" : in.substr(cut + 1);

  // The stored value's header: whatever the bytes, a decode is absent or inside them.
  auto json = edge::ledger::DecodeStoredValue(stored, 0);
  if (json) Check(json->size() < stored.size());

  const api::ResponsesStateRefs refs = api::ResponsesStoredRefs(body);
  std::string code;
  auto resolved = api::ResolveResponsesState(
      body, std::string(stored),
      [&](std::string_view) { return std::optional<std::string>(std::string(stored)); }, &code);
  if (resolved.ok()) {
    edge::providers::JsonTree tree;
    Check(tree.Parse(*resolved).ok() && tree.root().IsObject());
    Check(api::ResponsesStoredRefs(*resolved).empty());
    auto canonical = api::ResponsesApi().ToCanonical(*resolved);
    if (!canonical.ok()) Check(canonical.status().code() == edge::Code::kInvalidArgument);
    auto items = api::ResponsesInputItems(*resolved);
    if (items.ok()) {
      auto keep = api::ResponsesConversation(*items, stored);
      if (keep.ok()) {
        Check(tree.Parse(keep->conversation).ok() && tree.root().IsArray());
        Check(!keep->response_id.empty());
      }
    }
  } else {
    Check(resolved.status().code() == edge::Code::kInvalidArgument);
    Check(!resolved.status().message().empty());
  }
  (void)refs;
  return 0;
}
