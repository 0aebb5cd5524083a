#pragma once

// Helpers shared by the Bedrock adapter's files; not part of the module's interface.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "providers/adapter.h"
#include "providers/json_tree.h"

namespace edge::providers::bedrock::internal {

// Status for a request Bedrock cannot take as sent: the client's fault (400).
inline Status Bad(std::string message) { return InvalidArgument(std::move(message)); }

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// simdjson reads past the end of its input, so JSON that is a view of someone else's buffer
// is parsed from a padded per-thread copy by a per-thread parser, reused across calls (and
// released when a huge document grew it). Up to two leases may be held at once on a thread,
// each with its own parser. Provider answers only: the request side reads JsonTrees.
class DomLease {
 public:
  DomLease();
  ~DomLease();
  DomLease(const DomLease&) = delete;
  DomLease& operator=(const DomLease&) = delete;

  // Fully validates `json` (UTF-8 and grammar) and parses it; the element lives as long as
  // the lease.
  simdjson::error_code Parse(std::string_view json, simdjson::dom::element* root);

 private:
  int slot_;
};

inline void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

inline void WriteKey(JsonWriter& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Writes a parsed JSON value as it is (numbers keep their type: integers stay integers).
void WriteElement(JsonWriter& w, simdjson::dom::element e);

// The element as compact JSON text.
std::string ToJson(simdjson::dom::element e);

// The member `key` of `obj` when obj is an object holding it with a non-null value.
bool Member(simdjson::dom::element obj, std::string_view key, simdjson::dom::element* out);

// A string member, or "" when absent or not a string.
std::string_view StringMember(simdjson::dom::element obj, std::string_view key);

// The same over a JsonTree (providers/json_tree.h), which the request side reads the
// canonical body into, so that numbers it copies (WriteJson) go out as the client wrote them:
// the member `key` when `obj` is an object holding it with a non-null value, else nullptr; a
// string member, or "" when absent or not a string.
const JsonNode* Member(const JsonNode* obj, std::string_view key);
std::string_view StringMember(const JsonNode* obj, std::string_view key);

// A non-negative integer member, or 0.
int64_t CountMember(simdjson::dom::element obj, std::string_view key);

// How a Bedrock error type (ThrottlingException, throttlingException, or
// "com.amazon...#ThrottlingException", "ThrottlingException:http://...") is shown to the
// client: status and retryable. `http_status` is the provider's status (0 inside a stream).
ProviderError ClassifyType(std::string_view type, int http_status);

// "ThrottlingException" out of the forms above.
std::string_view BareType(std::string_view type);

// ---- Translations, one file each ----

// converse_request.cc: an OpenAI chat.completions body as a Converse request body.
Result<std::string> ConverseRequestBody(std::string_view openai_body);

// adapter.cc: `{base_path}/model/{percent-encoded model}/{action}`.
std::string ModelPath(const Target& target, std::string_view action);
// adapter.cc: sets Content-Type and Accept and signs the call (path and body already set).
Status SignCall(const Target& target, std::string_view accept, HttpCall* call);

// Bedrock's stopReason in OpenAI's words (stop | length | tool_calls | content_filter).
std::string FinishReason(std::string_view stop_reason);
// A Converse `usage` object (see adapter.h for the convention).
Usage ReadUsage(simdjson::dom::element usage);

// stream.cc: the ConverseStream decoder.
std::unique_ptr<StreamDecoder> NewConverseStreamDecoder();

// embeddings.cc: Titan and Cohere through InvokeModel.
Result<HttpCall> BuildEmbeddingsCall(const Target& target, std::string_view openai_body);
// The answer names `model`, the deployment's model id: InvokeModel's names none.
Result<std::string> ParseEmbeddingsBody(std::string_view body, std::string_view model,
                                        Usage* usage);

}  // namespace edge::providers::bedrock::internal
