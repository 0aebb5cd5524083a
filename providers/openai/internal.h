#pragma once

// Helpers shared by openai.cc and stream.cc; not part of the module's interface.

#include <simdjson.h>

#include <string>
#include <string_view>

#include "providers/adapter.h"

namespace edge::providers::openai::internal {

// simdjson reads up to SIMDJSON_PADDING bytes past the end of its input, so JSON that comes
// as a view of someone else's buffer is parsed from a copy in a per-thread scratch buffer.
// One lease at a time per thread (nothing here re-enters); the parser and the scratch of a
// thread are reused, except that ones grown by a huge document are released afterwards so
// a single 30 MB body does not stay resident on every worker.
class OnDemandLease {
 public:
  OnDemandLease();
  ~OnDemandLease();
  OnDemandLease(const OnDemandLease&) = delete;
  OnDemandLease& operator=(const OnDemandLease&) = delete;

  // Copies `json` to the scratch and starts iterating it; positions in the document are
  // offsets from scratch_begin().
  simdjson::error_code Iterate(std::string_view json, simdjson::ondemand::document* doc);
  const char* scratch_begin() const;
};

class DomLease {
 public:
  DomLease();
  ~DomLease();
  DomLease(const DomLease&) = delete;
  DomLease& operator=(const DomLease&) = delete;

  // Fully validates `json` (UTF-8 and grammar) and parses it; the element lives as long as
  // the lease.
  simdjson::error_code Parse(std::string_view json, simdjson::dom::element* root);
};

// The document was read to its end: nothing but whitespace after the value walked.
inline bool AtEnd(simdjson::ondemand::document& doc) {
  const char* at = nullptr;
  return doc.current_location().get(at) == simdjson::OUT_OF_BOUNDS;
}

// Reads an OpenAI usage object: chat/embeddings (prompt_tokens, completion_tokens,
// prompt_tokens_details.cached_tokens) and Responses (input_tokens, output_tokens,
// input_tokens_details.cached_tokens). Missing, null or negative numbers count as 0;
// `reported` is set when input or output tokens were present.
Usage ReadUsage(simdjson::ondemand::object usage);

}  // namespace edge::providers::openai::internal
