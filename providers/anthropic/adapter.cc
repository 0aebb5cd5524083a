#include "providers/anthropic/adapter.h"

#include <simdjson.h>

#include <string>
#include <string_view>

#include "providers/anthropic/internal.h"

namespace edge::providers::anthropic {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

Status ReadContent(dom::array content, ChatResponse* out) {
  for (dom::element block : content) {
    std::string_view type;
    if (block["type"].get_string().get(type) != SUCCESS) {
      return internal::Malformed("a content block without a type");
    }
    if (type == "text") {
      std::string_view text;
      if (block["text"].get_string().get(text) != SUCCESS) {
        return internal::Malformed("a text block without text");
      }
      out->text.append(text);
    } else if (type == "tool_use") {
      std::string_view id, name;
      dom::object input;
      if (block["id"].get_string().get(id) != SUCCESS ||
          block["name"].get_string().get(name) != SUCCESS ||
          block["input"].get_object().get(input) != SUCCESS) {
        return internal::Malformed("a tool_use block without id, name or input");
      }
      out->tool_calls.push_back({std::string(id), std::string(name), simdjson::to_string(input)});
    }
    // thinking, redacted_thinking and server-side tool blocks have no OpenAI counterpart.
  }
  return Status::Ok();
}

Result<ChatResponse> ReadMessage(dom::element root) {
  std::string type, message;
  if (internal::ReadErrorBody(root, &type, &message)) {
    return Unavailable("anthropic error " + type + ": " + message);
  }
  ChatResponse r;
  std::string_view s;
  dom::array content;
  if (root["content"].get_array().get(content) != SUCCESS) {
    return internal::Malformed("no content array");
  }
  if (root["id"].get_string().get(s) == SUCCESS) r.id = std::string(s);
  if (root["model"].get_string().get(s) == SUCCESS) r.model = std::string(s);
  EDGE_RETURN_IF_ERROR(ReadContent(content, &r));
  if (root["stop_reason"].get_string().get(s) == SUCCESS) {
    r.finish_reason = std::string(internal::FinishReason(s));
  }
  dom::object usage;
  if (root["usage"].get_object().get(usage) == SUCCESS) {
    UsageCounts counts;
    internal::MergeUsage(usage, &counts);
    r.usage = counts.ToUsage();
  }
  return r;
}

class MessagesAdapter final : public Adapter {
 public:
  Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                             bool stream) const override {
    EDGE_ASSIGN_OR_RETURN(std::string body,
                          internal::MessagesBody(openai_body, target.model, stream));
    HttpCall call;
    call.path = target.base_path + "/v1/messages";
    call.headers.emplace_back("x-api-key", target.api_key);
    call.headers.emplace_back("anthropic-version", target.api_version.empty()
                                                       ? std::string(kDefaultVersion)
                                                       : target.api_version);
    call.headers.emplace_back("content-type", "application/json");
    if (stream) call.headers.emplace_back("accept", "text/event-stream");
    call.body = std::move(body);
    return call;
  }

  Result<ChatResponse> ParseChat(std::string_view body) const override {
    internal::JsonLease lease;
    lease.Load(body);
    dom::element root;
    if (auto err = lease.Dom(&root); err != SUCCESS) {
      return internal::Malformed(internal::JsonError(err));
    }
    if (!root.is_object()) return internal::Malformed("not a JSON object");
    return ReadMessage(root);
  }

  std::unique_ptr<StreamDecoder> NewStreamDecoder() const override {
    return internal::NewMessagesStreamDecoder();
  }

  Result<HttpCall> BuildEmbeddings(const Target&, std::string_view) const override {
    return InvalidArgument("anthropic has no embeddings API");
  }

  Result<std::string> ParseEmbeddings(const Target&, std::string_view, Usage*) const override {
    return InvalidArgument("anthropic has no embeddings API");
  }

  ProviderError ClassifyError(int status, const RetryHeaders& retry,
                              std::string_view body) const override {
    std::string type, message;
    {
      internal::JsonLease lease;
      lease.Load(body);
      dom::element root;
      if (lease.Dom(&root) != SUCCESS || !internal::ReadErrorBody(root, &type, &message)) {
        type.clear();  // an HTML page from a proxy, an empty body: the status says it all
      }
    }
    if (message.empty()) message = "anthropic answered HTTP " + std::to_string(status);
    ProviderError e = internal::ErrorForType(type, message, status);
    if (e.retryable) e.retry_after = retry.retry_after;
    return e;
  }
};

}  // namespace

const Adapter& AnthropicAdapter() {
  static const MessagesAdapter* const adapter = new MessagesAdapter();
  return *adapter;
}

}  // namespace edge::providers::anthropic
