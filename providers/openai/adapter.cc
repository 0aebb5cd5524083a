#include "providers/openai/adapter.h"

#include <simdjson.h>

#include <string>
#include <utility>
#include <vector>

#include "providers/openai/chat_internal.h"
#include "providers/openai/chat_wire.h"
#include "providers/openai/internal.h"
#include "providers/openai/openai.h"
#include "providers/json_text.h"

namespace edge::providers::openai {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

// Makes every top-level "stream" member say `stream`, inserting one when absent and true.
// The body comes from RewriteRequest, so it is one JSON object that has a "model" member.
Result<std::string> SetStream(std::string body, bool stream) {
  const std::string_view want = stream ? "true" : "false";
  std::vector<std::pair<size_t, size_t>> edits;  // [offset, length) of values to replace
  bool found = false;
  {
    internal::OnDemandLease lease;
    ondemand::document doc;
    ondemand::object obj;
    if (lease.Iterate(body, &doc) != SUCCESS || doc.get_object().get(obj) != SUCCESS) {
      return InvalidArgument("request body must be a JSON object");
    }
    const char* base = lease.scratch_begin();
    for (auto field_result : obj) {
      ondemand::field field;
      std::string_view key;
      if (std::move(field_result).get(field) != SUCCESS ||
          field.unescaped_key().get(key) != SUCCESS) {
        return InvalidArgument("request body is not a valid JSON object");
      }
      if (key != "stream") continue;
      found = true;
      const std::string_view token = TrimToken(field.value().raw_json_token());
      if (token != "true" && token != "false" && token != "null") {
        return InvalidArgument("'stream' must be a boolean");
      }
      if (token != want) edits.emplace_back(static_cast<size_t>(token.data() - base), token.size());
    }
    if (!internal::AtEnd(doc)) return InvalidArgument("request body is not a valid JSON object");
  }
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
    body.replace(it->first, it->second, want);
  }
  if (!found && stream) {
    const size_t open = body.find('{');  // the object's own brace: only whitespace before it
    body.insert(open + 1, R"("stream":true,)");
  }
  return body;
}

void AddJsonHeaders(bool stream, HttpCall* call) {
  call->headers.emplace_back("content-type", "application/json");
  if (stream) call->headers.emplace_back("accept", "text/event-stream");
}

class ChatCompletionsAdapter final : public Adapter {
 public:
  Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                             bool stream) const override {
    EDGE_ASSIGN_OR_RETURN(std::string body, ChatRequestBody(openai_body, target.model, stream));
    HttpCall call;
    call.path = target.base_path + "/chat/completions";
    AddAuth(target, &call);
    AddJsonHeaders(stream, &call);
    call.body = std::move(body);
    return call;
  }

  Result<ChatResponse> ParseChat(std::string_view body) const override {
    return ParseChatCompletion(body, "openai");
  }

  std::unique_ptr<StreamDecoder> NewStreamDecoder() const override {
    return NewChatChunkDecoder("openai");
  }

  Result<HttpCall> BuildEmbeddings(const Target& target,
                                   std::string_view openai_body) const override {
    EDGE_ASSIGN_OR_RETURN(std::string body, RewriteRequest(openai_body, target.model, false));
    HttpCall call;
    call.path = target.base_path + "/embeddings";
    AddAuth(target, &call);
    AddJsonHeaders(false, &call);
    call.body = std::move(body);
    return call;
  }

  // OpenAI's answer names its model: it passes as it is.
  Result<std::string> ParseEmbeddings(const Target&, std::string_view body,
                                      Usage* usage) const override {
    return ReadEmbeddingsBody(body, "openai", usage);
  }

  ProviderError ClassifyError(int status, const RetryHeaders& retry,
                              std::string_view body) const override {
    return ClassifyHttpError("openai", status, retry, body);
  }

 private:
  static void AddAuth(const Target& target, HttpCall* call) {
    // Local OpenAI-compatible servers (vLLM, Ollama) are often run without a key.
    if (!target.api_key.empty()) {
      call->headers.emplace_back("authorization", "Bearer " + target.api_key);
    }
  }
};

}  // namespace

Result<std::string> ChatRequestBody(std::string_view openai_body, std::string_view model,
                                    bool stream) {
  EDGE_ASSIGN_OR_RETURN(std::string body, RewriteRequest(openai_body, model, stream));
  return SetStream(std::move(body), stream);
}

Result<std::string> ReadEmbeddingsBody(std::string_view body, std::string_view provider,
                                       Usage* usage) {
  internal::DomLease lease;
  dom::element root;
  if (auto err = lease.Parse(body, &root); err != SUCCESS) {
    return internal::Malformed(provider, "embeddings: " + internal::JsonError(err));
  }
  dom::array data;
  if (root["data"].get_array().get(data) != SUCCESS) {
    return internal::Malformed(provider, "embeddings without a data array");
  }
  Usage u;
  dom::object usage_obj;
  if (root["usage"].get_object().get(usage_obj) == SUCCESS) {
    u = internal::ReadDomUsage(usage_obj);
    u.output_tokens = 0;  // embeddings produce no tokens
  }
  if (usage != nullptr) *usage = u;
  return std::string(body);
}

const Adapter& OpenAiAdapter() {
  static const ChatCompletionsAdapter* const adapter = new ChatCompletionsAdapter();
  return *adapter;
}

}  // namespace edge::providers::openai
