// Embeddings through batchEmbedContents:
//   {requests:[{model:"models/<m>", content:{parts:[{text}]}, outputDimensionality?}]}
//   -> {embeddings:[{values:[...]}]}
// translated from and to OpenAI's embeddings JSON. Gemini reports no token counts for
// embeddings: usage is 0 and not `reported`.

#include <string>
#include <vector>

#include "providers/gemini/internal.h"
#include "providers/openai_params.h"

namespace edge::providers::gemini::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

Status ReadInputs(const JsonNode& body, std::vector<std::string_view>* out) {
  std::string_view s;
  const JsonNode* input = Get(body, "input");
  if (input == nullptr) return Bad("missing required parameter: 'input'");
  if (GetString(input, &s)) {
    out->push_back(s);
  } else if (input->IsArray()) {
    for (const JsonNode& e : *input) {
      if (!GetString(&e, &s)) {
        return Bad("embeddings take text inputs, not token arrays");
      }
      out->push_back(s);
    }
  } else {
    return Bad("'input' must be a string or an array of strings");
  }
  if (out->empty()) return Bad("'input' must not be empty");
  return Status::Ok();
}

}  // namespace

Result<std::string> BatchEmbedBody(std::string_view openai_body, std::string_view model) {
  // Read as a JsonTree like the chat body: a number the node does not read (in a member it
  // ignores) may be of any size. Already checked on arrival: duplicates are not judged again.
  JsonTree tree;
  EDGE_RETURN_IF_ERROR(ParseCanonicalBody(openai_body, &tree));
  const JsonNode& body = tree.root();
  std::vector<std::string_view> inputs;
  EDGE_RETURN_IF_ERROR(ReadInputs(body, &inputs));
  int64_t dims = 0;
  if (const JsonNode* d = Get(body, "dimensions"); d != nullptr && !d->IsNull()) {
    const std::optional<int64_t> n = d->Int64();
    if (!n || *n < 1) return Bad("'dimensions' must be a positive integer");
    dims = *n;
  }
  const std::string model_name = ModelPath(model);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "requests");
  w.StartArray();
  for (std::string_view text : inputs) {
    w.StartObject();
    Key(w, "model");
    String(w, model_name);
    Key(w, "content");
    w.StartObject();
    Key(w, "parts");
    w.StartArray();
    w.StartObject();
    Key(w, "text");
    String(w, text);
    w.EndObject();
    w.EndArray();
    w.EndObject();
    if (dims > 0) {
      Key(w, "outputDimensionality");
      w.Int64(dims);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<std::string> EmbeddingsAnswer(std::string_view body, std::string_view model, Usage* usage) {
  JsonLease lease;
  dom::element root;
  if (auto err = lease.Parse(body, &root); err != SUCCESS) {
    return Malformed("embeddings: " + JsonError(err));
  }
  dom::array embeddings;
  if (root["embeddings"].get_array().get(embeddings) != SUCCESS) {
    return Malformed("embeddings without an embeddings array");
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "object");
  String(w, "list");
  Key(w, "data");
  w.StartArray();
  int64_t index = 0;
  for (dom::element e : embeddings) {
    dom::array values;
    if (e["values"].get_array().get(values) != SUCCESS) {
      return Malformed("an embedding without values");
    }
    w.StartObject();
    Key(w, "object");
    String(w, "embedding");
    Key(w, "index");
    w.Int64(index++);
    Key(w, "embedding");
    Element(w, values);
    w.EndObject();
  }
  w.EndArray();
  Key(w, "model");
  String(w, model);
  Key(w, "usage");
  w.StartObject();
  Key(w, "prompt_tokens");
  w.Int(0);
  Key(w, "total_tokens");
  w.Int(0);
  w.EndObject();
  w.EndObject();
  if (usage != nullptr) *usage = Usage{};
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers::gemini::internal
