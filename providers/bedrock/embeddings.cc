// Embeddings through InvokeModel, in the model vendor's own JSON:
//   Titan  (amazon.titan-embed-text-v1/v2): {inputText[, dimensions]} -> {embedding,
//          inputTextTokenCount}
//   Cohere (cohere.embed-*): {texts, input_type} -> {embeddings: [[...]] or {float: [[...]]}}
// translated from and to OpenAI's embeddings JSON.

#include <string>
#include <vector>

#include "providers/bedrock/internal.h"
#include "providers/openai_params.h"

namespace edge::providers::bedrock::internal {
namespace {

namespace dom = simdjson::dom;
using simdjson::SUCCESS;

constexpr size_t kCohereMaxTexts = 96;  // Cohere Embed's limit per call

enum class Family { kTitan, kCohere, kUnknown };

Family FamilyOf(std::string_view model) {
  if (model.find("titan-embed") != std::string_view::npos) return Family::kTitan;
  if (model.find("cohere.embed") != std::string_view::npos) return Family::kCohere;
  return Family::kUnknown;
}

// OpenAI's `input`: a string or an array of strings (token arrays have no Bedrock form).
Status ReadInputs(const JsonNode& root, std::vector<std::string_view>* out) {
  const JsonNode* input = Member(&root, "input");
  if (input == nullptr) return Bad("missing required parameter: 'input'");
  if (input->IsString()) {
    out->push_back(input->text());
  } else if (input->IsArray()) {
    for (const JsonNode& e : *input) {
      if (!e.IsString()) return Bad("Bedrock embeddings take text inputs, not token arrays");
      out->push_back(e.text());
    }
  } else {
    return Bad("'input' must be a string or an array of strings");
  }
  if (out->empty()) return Bad("'input' must not be empty");
  return Status::Ok();
}

Result<std::string> TitanBody(const JsonNode& root, const std::vector<std::string_view>& inputs) {
  if (inputs.size() != 1) {
    return Bad("Titan embeddings take one input per request; got " + std::to_string(inputs.size()));
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "inputText");
  WriteString(w, inputs[0]);
  if (const JsonNode* dims = root.Find("dimensions"); dims != nullptr && dims->Int64()) {
    WriteKey(w, "dimensions");
    w.Int64(*dims->Int64());
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<std::string> CohereBody(const JsonNode& root, const std::vector<std::string_view>& inputs) {
  if (inputs.size() > kCohereMaxTexts) {
    return Bad("Cohere embeddings take at most 96 inputs per request");
  }
  std::string_view input_type = StringMember(&root, "input_type");
  if (input_type.empty()) input_type = "search_document";
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "texts");
  w.StartArray();
  for (std::string_view s : inputs) WriteString(w, s);
  w.EndArray();
  WriteKey(w, "input_type");
  WriteString(w, input_type);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// True when every element of `vec` is a number.
bool IsVector(dom::element vec) {
  dom::array arr;
  if (vec.get_array().get(arr) != SUCCESS) return false;
  for (dom::element x : arr) {
    if (!x.is_number()) return false;
  }
  return true;
}

// The vectors of a Titan or Cohere answer, and the tokens counted when the answer says.
Status ReadVectors(dom::element root, std::vector<dom::element>* vectors, Usage* usage) {
  dom::element one, many;
  if (Member(root, "embedding", &one)) {  // Titan
    vectors->push_back(one);
    usage->input_tokens = CountMember(root, "inputTextTokenCount");
    usage->reported = root["inputTextTokenCount"].error() == SUCCESS;
  } else if (Member(root, "embeddings", &many)) {  // Cohere: a list, or by type
    dom::array arr;
    if (many.is_object() && root["embeddings"]["float"].get_array().get(arr) != SUCCESS) {
      return Unavailable("Cohere embeddings answer has no float vectors");
    }
    if (!many.is_object() && many.get_array().get(arr) != SUCCESS) {
      return Unavailable("Cohere embeddings answer: 'embeddings' is not a list");
    }
    for (dom::element v : arr) vectors->push_back(v);
    int64_t n = 0;
    if (root["meta"]["billed_units"]["input_tokens"].get_int64().get(n) == SUCCESS && n >= 0) {
      usage->input_tokens = ClampTokens(n);
      usage->reported = true;
    }
  } else {
    return Unavailable("Bedrock embeddings answer has neither 'embedding' nor 'embeddings'");
  }
  for (dom::element v : *vectors) {
    if (!IsVector(v)) return Unavailable("Bedrock embeddings answer holds a non-numeric vector");
  }
  return Status::Ok();
}

}  // namespace

Result<HttpCall> BuildEmbeddingsCall(const Target& target, std::string_view openai_body) {
  const Family family = FamilyOf(target.model);
  if (family == Family::kUnknown) {
    return Bad("Bedrock embeddings support amazon.titan-embed-* and cohere.embed-* models, not '" +
               target.model + "'");
  }
  HttpCall call;
  {
    // A JsonTree like the chat body: a number in a member the node ignores may be of any size.
    // Already checked on arrival: duplicates are not judged again.
    JsonTree tree;
    if (!ParseCanonicalBody(openai_body, &tree).ok()) {
      return Bad("request body must be a JSON object");
    }
    const JsonNode& root = tree.root();
    std::vector<std::string_view> inputs;
    EDGE_RETURN_IF_ERROR(ReadInputs(root, &inputs));
    EDGE_ASSIGN_OR_RETURN(
        call.body, family == Family::kTitan ? TitanBody(root, inputs) : CohereBody(root, inputs));
  }
  call.path = ModelPath(target, "invoke");
  EDGE_RETURN_IF_ERROR(SignCall(target, "application/json", &call));
  return call;
}

Result<std::string> ParseEmbeddingsBody(std::string_view body, std::string_view model,
                                        Usage* usage) {
  DomLease lease;
  dom::element root;
  if (auto err = lease.Parse(body, &root); err != SUCCESS || !root.is_object()) {
    return Unavailable("Bedrock embeddings answer is not a JSON object");
  }
  Usage u;
  std::vector<dom::element> vectors;
  EDGE_RETURN_IF_ERROR(ReadVectors(root, &vectors, &u));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteKey(w, "object");
  WriteString(w, "list");
  WriteKey(w, "data");
  w.StartArray();
  for (size_t i = 0; i < vectors.size(); ++i) {
    w.StartObject();
    WriteKey(w, "object");
    WriteString(w, "embedding");
    WriteKey(w, "index");
    w.Uint64(i);
    WriteKey(w, "embedding");
    WriteElement(w, vectors[i]);
    w.EndObject();
  }
  w.EndArray();
  WriteKey(w, "model");
  WriteString(w, model);
  WriteKey(w, "usage");
  w.StartObject();
  WriteKey(w, "prompt_tokens");
  w.Int64(u.input_tokens);
  WriteKey(w, "total_tokens");
  w.Int64(u.input_tokens);
  w.EndObject();
  w.EndObject();
  if (usage) *usage = u;
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::bedrock::internal
