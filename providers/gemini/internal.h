#pragma once

// Helpers shared by the files of providers/gemini/; not part of the module's interface.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "providers/adapter.h"
#include "providers/json_text.h"
#include "providers/json_tree.h"

namespace edge::providers::gemini::internal {

// simdjson reads up to SIMDJSON_PADDING bytes past its input, so JSON that is a view of
// someone else's buffer is parsed from a zero-padded copy in a per-thread scratch. One lease
// per thread at a time; buffers grown by a huge document are released afterwards so one big
// body does not stay resident on every worker. Provider answers only: the request side reads
// JsonTrees.
class JsonLease {
 public:
  JsonLease();
  ~JsonLease();
  JsonLease(const JsonLease&) = delete;
  JsonLease& operator=(const JsonLease&) = delete;

  // Fully validates (UTF-8, grammar) and parses `json`; the element lives as long as the
  // lease.
  simdjson::error_code Parse(std::string_view json, simdjson::dom::element* root);
};

using providers::JsonError;  // providers/json_text.h

// Status for a request gemini cannot take as sent: the client's fault (400).
inline Status Bad(std::string message) { return InvalidArgument("gemini: " + std::move(message)); }

// Status for malformed provider output: an upstream failure (502), never the client's fault.
inline Status Malformed(std::string_view what) {
  return Unavailable("gemini: malformed response: " + std::string(what));
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
void Key(JsonWriter& w, std::string_view key);
void String(JsonWriter& w, std::string_view s);
// Writes a parsed (so valid) JSON value: simdjson's minified text of a DOM element, object
// or array.
template <typename DomValue>
void Element(JsonWriter& w, DomValue v) {
  const std::string json = simdjson::to_string(v);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

// The request side reads the canonical body as a JsonTree (providers/json_tree.h) and copies
// its values with WriteJson, so that numbers go out as the client wrote them.
//
// The member `key` of `object`, or nullptr when `object` is null or not an object, or the
// member is absent.
inline const JsonNode* Get(const JsonNode* object, std::string_view key) {
  return object == nullptr ? nullptr : object->Find(key);
}
inline const JsonNode* Get(const JsonNode& object, std::string_view key) {
  return object.Find(key);
}
// Whether `v` is a string; its content in *out.
inline bool GetString(const JsonNode* v, std::string_view* out) {
  if (v == nullptr || !v->IsString()) return false;
  *out = v->text();
  return true;
}

// The resource path of a model: "models/<m>" unless the id already names a collection
// ("models/x", "tunedModels/y"); characters a path may not hold are percent-encoded.
std::string ModelPath(std::string_view model);

// The neutral usage of a usageMetadata object: input = promptTokenCount (+ the tool-use
// prompt), output = candidatesTokenCount + thoughtsTokenCount (thinking is billed as
// output), cached = cachedContentTokenCount. Gemini's counts in a stream are cumulative.
Usage ReadUsageMetadata(simdjson::dom::object usage);

// OpenAI's finish_reason for a Gemini finishReason; `has_calls`: the answer called tools.
std::string FinishReason(std::string_view reason, bool has_calls);

// One piece of candidates[0].content.parts: text or a function call (thought parts and
// kinds without an OpenAI counterpart are skipped by the readers).
struct Piece {
  bool is_call = false;
  std::string text;       // text; for a call its args as JSON
  std::string name, id;   // a call's function name and Gemini's optional id
  std::string signature;  // a call's thoughtSignature, as Gemini wrote it
};

// Thought signatures ride in tool call ids (signature.cc). Gemini 3 refuses a function-call
// history whose calls lack the thoughtSignature it gave them (400 "Function call is missing a
// thought_signature"), and OpenAI's shape has no member for it, so the id carries it:
//
//   <base> "__thought__" <the signature in base64url, without padding>
//
// e.g. "call_0__thought__CiQB0e2Kb-xT_9a...". The base is Gemini's own call id when it sent
// one (without the separator), else "call_<index>". The signature part is [A-Za-z0-9_-] (what
// Anthropic allows in a tool_use id), so SDKs and JSON keep the id as it is. A call without a
// signature (parallel calls: all but the first), or with one that is not base64 or is over
// 64 KiB, keeps the plain base, as before. Clients send ids back unchanged, so the signature
// returns on the same functionCall part. The separator is LiteLLM's, whose ids (the raw
// signature after it) read the same.
//
// The id of the call at `index` of an answer.
std::string ToolCallId(const Piece& call, int index);
// The thoughtSignature a tool call id carries, in Gemini's standard padded base64; "" when
// the id has none (plain ids are used as they are). InvalidArgument when the part after the
// separator is not a base64 signature of at most 64 KiB: a cut or altered id, which Gemini
// would refuse less clearly.
Result<std::string> ThoughtSignatureOf(std::string_view tool_call_id);

// The parts and finishReason of candidates[0] of a GenerateContentResponse. A prompt
// blocked before any candidate (promptFeedback.blockReason) reads as finishReason "SAFETY".
Status ReadCandidate(simdjson::dom::element response, std::vector<Piece>* pieces,
                     std::string* finish_reason);

// What a Google API error object {"code","message","status","details"} says.
struct ErrorFields {
  std::string status;  // RESOURCE_EXHAUSTED, ...
  std::string message;
  int64_t code = 0;         // the HTTP status it stands for
  bool bad_key = false;     // details name API_KEY_INVALID (Gemini's 400 for a wrong key)
  std::string retry_delay;  // RetryInfo's delay in whole seconds, when given
};
ErrorFields ReadError(simdjson::dom::element error);

// The classification of an error answered with `http_status` (0 inside a stream: the
// object's code stands in).
ProviderError ErrorFor(int http_status, const ErrorFields& fields);

// OpenAI chat body -> GenerateContentRequest body (request.cc); InvalidArgument, naming the
// member, for what Gemini cannot express.
Result<std::string> GenerateContentBody(std::string_view openai_body);

// Writes the "contents" and "systemInstruction" members for OpenAI's `messages`
// (contents.cc).
Status WriteContents(const JsonNode& messages, JsonWriter& w);

// OpenAI embeddings body -> batchEmbedContents body, and the answer back (embeddings.cc).
Result<std::string> BatchEmbedBody(std::string_view openai_body, std::string_view model);
// The answer names `model`, the deployment's model id: Gemini's names none.
Result<std::string> EmbeddingsAnswer(std::string_view body, std::string_view model, Usage* usage);

// The streamGenerateContent?alt=sse decoder (stream.cc).
std::unique_ptr<StreamDecoder> NewGenerateStreamDecoder();

}  // namespace edge::providers::gemini::internal
