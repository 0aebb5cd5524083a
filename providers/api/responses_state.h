#pragma once

// The Responses API's server-side conversation state for providers that have none
// (responses.store: true). The node keeps each translated answer's conversation (ledger/
// response_store.h) and, for a later request naming it, writes the request OpenAI's server
// would have seen: the stored items (the previous input, then the previous output) before
// the request's own input, `item_reference` items replaced by the items they name.
// Everything here is pure JSON work on untrusted bytes: the body is the client's, the stored
// values are read back from disk and may be anything (a value that is not what this code
// wrote reads as absent).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace edge::providers::api {

// What a body needs from the store: its previous_response_id (empty when none) and the ids
// of its item_reference input items. Empty for a body that is not a JSON object.
struct ResponsesStateRefs {
  std::string previous_response_id;
  std::vector<std::string> item_ids;
  bool empty() const { return previous_response_id.empty() && item_ids.empty(); }
};
ResponsesStateRefs ResponsesStoredRefs(std::string_view body);

// The stored JSON of a key, or nullopt when absent, expired or unreadable.
using StoredLookup = std::function<std::optional<std::string>(std::string_view id)>;

// `body` with previous_response_id removed and `input` the stored conversation of
// `previous` (a JSON array of items) followed by the body's own input items, each
// item_reference replaced by `item(id)`. An id that does not resolve is an InvalidArgument
// naming it, with *error_code "previous_response_not_found" or "item_not_found" (OpenAI's
// codes and wording).
Result<std::string> ResolveResponsesState(std::string_view body,
                                          const std::optional<std::string>& previous,
                                          const StoredLookup& item, std::string* error_code);

// A (resolved) body's input as a JSON array of items: a string input is one user message.
Result<std::string> ResponsesInputItems(std::string_view body);

// What to keep of one answer: the conversation under the response's id (the request's input
// items, then the answer's output items) and each item that has an id under that id.
struct ResponsesToStore {
  std::string response_id;
  std::string conversation;                                  // a JSON array
  std::vector<std::pair<std::string, std::string>> items;    // item id -> item JSON
};
Result<ResponsesToStore> ResponsesConversation(std::string_view input_items,
                                               std::string_view response);

}  // namespace edge::providers::api
