// Embeddings through batchEmbedContents:
//   {requests:[{model:"models/<m>", content:{parts:[{text}]}, outputDimensionality?}]}
//   -> {embeddings:[{values:[...]}]}
// translated from and to OpenAI's embeddings JSON. Gemini reports no token counts for
// embeddings: usage is 0 and not `reported`.

#include <string>
#include <vector>

#include "providers/gemini/internal.h"

namespace edge::providers::gemini::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

Status Bad(std::string message) { return InvalidArgument("gemini: " + std::move(message)); }

Status ReadInputs(dom::object body, std::vector<std::string_view>* out) {
  dom::element input;
  std::string_view s;
  dom::array arr;
  if (body["input"].get(input) != SUCCESS) return Bad("missing required parameter: 'input'");
  if (input.get_string().get(s) == SUCCESS) {
    out->push_back(s);
  } else if (input.get_array().get(arr) == SUCCESS) {
    for (dom::element e : arr) {
      if (e.get_string().get(s) != SUCCESS) {
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
  JsonLease lease;
  dom::element root;
  dom::object body;
  if (auto err = lease.Parse(openai_body, &root); err != SUCCESS) {
    return InvalidArgument("request body is not valid JSON: " + JsonError(err));
  }
  if (root.get_object().get(body) != SUCCESS) {
    return InvalidArgument("request body must be a JSON object");
  }
  std::vector<std::string_view> inputs;
  EDGE_RETURN_IF_ERROR(ReadInputs(body, &inputs));
  int64_t dims = 0;
  dom::element d;
  if (body["dimensions"].get(d) == SUCCESS && !d.is_null() &&
      (d.get_int64().get(dims) != SUCCESS || dims < 1)) {
    return Bad("'dimensions' must be a positive integer");
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
