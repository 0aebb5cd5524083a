#include "providers/gemini/adapter.h"

#include <string>
#include <utility>
#include <vector>

#include "providers/gemini/internal.h"

namespace edge::providers::gemini {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

HttpCall Call(const Target& target, std::string_view method, std::string body, bool stream) {
  HttpCall call;
  call.path =
      target.base_path + "/v1beta/" + internal::ModelPath(target.model) + ":" + std::string(method);
  call.headers.emplace_back("x-goog-api-key", target.api_key);
  call.headers.emplace_back("content-type", "application/json");
  if (stream) call.headers.emplace_back("accept", "text/event-stream");
  call.body = std::move(body);
  return call;
}

Result<ChatResponse> ReadResponse(dom::element root) {
  std::vector<internal::Piece> pieces;
  std::string reason;
  EDGE_RETURN_IF_ERROR(internal::ReadCandidate(root, &pieces, &reason));
  ChatResponse r;
  std::string_view s;
  if (root["responseId"].get_string().get(s) == SUCCESS) r.id = std::string(s);
  if (root["modelVersion"].get_string().get(s) == SUCCESS) r.model = std::string(s);
  for (internal::Piece& p : pieces) {
    if (!p.is_call) {
      r.text += p.text;
      continue;
    }
    std::string id = internal::ToolCallId(p, static_cast<int>(r.tool_calls.size()));
    r.tool_calls.push_back({std::move(id), std::move(p.name), std::move(p.text)});
  }
  r.finish_reason = internal::FinishReason(reason, !r.tool_calls.empty());
  dom::object usage;
  if (root["usageMetadata"].get_object().get(usage) == SUCCESS) {
    r.usage = internal::ReadUsageMetadata(usage);
  }
  return r;
}

class GenerateContentAdapter final : public Adapter {
 public:
  Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                             bool stream) const override {
    if (target.model.empty()) return InvalidArgument("gemini: the model id is empty");
    EDGE_ASSIGN_OR_RETURN(std::string body, internal::GenerateContentBody(openai_body));
    return Call(target, stream ? "streamGenerateContent?alt=sse" : "generateContent",
                std::move(body), stream);
  }

  Result<ChatResponse> ParseChat(std::string_view body) const override {
    internal::JsonLease lease;
    dom::element root, error;
    if (auto err = lease.Parse(body, &root); err != SUCCESS) {
      return internal::Malformed(internal::JsonError(err));
    }
    if (!root.is_object()) return internal::Malformed("not a JSON object");
    if (root["error"].get(error) == SUCCESS && error.is_object()) {
      const ProviderError e = internal::ErrorFor(0, internal::ReadError(error));
      return Unavailable("gemini error " + e.type + ": " + e.message);
    }
    return ReadResponse(root);
  }

  std::unique_ptr<StreamDecoder> NewStreamDecoder() const override {
    return internal::NewGenerateStreamDecoder();
  }

  Result<HttpCall> BuildEmbeddings(const Target& target,
                                   std::string_view openai_body) const override {
    if (target.model.empty()) return InvalidArgument("gemini: the model id is empty");
    EDGE_ASSIGN_OR_RETURN(std::string body, internal::BatchEmbedBody(openai_body, target.model));
    return Call(target, "batchEmbedContents", std::move(body), false);
  }

  Result<std::string> ParseEmbeddings(const Target& target, std::string_view body,
                                      Usage* usage) const override {
    return internal::EmbeddingsAnswer(body, target.model, usage);
  }

  ProviderError ClassifyError(int status, const RetryHeaders& retry,
                              std::string_view body) const override {
    internal::ErrorFields fields;
    {
      internal::JsonLease lease;
      dom::element root, error;
      if (lease.Parse(body, &root) == SUCCESS) {
        // The JSON-array stream form wraps the error in a one-element array.
        dom::array list;
        if (root.get_array().get(list) == SUCCESS && list.size() > 0)
          root = list.at(0).value_unsafe();
        if (root["error"].get(error) == SUCCESS && error.is_object()) {
          fields = internal::ReadError(error);
        }
      }
    }
    ProviderError e = internal::ErrorFor(status, fields);
    const std::string& delay = fields.retry_delay;
    if (e.retryable) e.retry_after = retry.retry_after.empty() ? delay : retry.retry_after;
    return e;
  }
};

}  // namespace

const Adapter& GeminiAdapter() {
  static const GenerateContentAdapter* const adapter = new GenerateContentAdapter();
  return *adapter;
}

}  // namespace edge::providers::gemini
