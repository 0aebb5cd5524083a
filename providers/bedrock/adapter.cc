#include "providers/bedrock/adapter.h"

#include <utility>

#include "providers/bedrock/internal.h"
#include "providers/bedrock/sigv4.h"

namespace edge::providers::bedrock {
namespace internal {
namespace {

namespace dom = simdjson::dom;
using simdjson::SUCCESS;

constexpr std::string_view kService = "bedrock";
constexpr size_t kMaxErrorMessage = 1000;  // of a non-JSON error body shown to the client

Status BadAnswer(std::string what) {
  return Unavailable("Bedrock answered with an unreadable Converse response: " + std::move(what));
}

Status ReadContent(dom::array content, ChatResponse* out) {
  for (dom::element block : content) {
    std::string_view text;
    dom::element tool;
    if (block["text"].get_string().get(text) == SUCCESS) {
      out->text.append(text);
    } else if (Member(block, "toolUse", &tool)) {
      ToolCall call;
      call.id = std::string(StringMember(tool, "toolUseId"));
      call.name = std::string(StringMember(tool, "name"));
      dom::element input;
      call.arguments = Member(tool, "input", &input) ? ToJson(input) : "{}";
      if (call.id.empty() || call.name.empty()) return BadAnswer("toolUse without id or name");
      out->tool_calls.push_back(std::move(call));
    }
    // Other blocks (reasoningContent, citations, guardContent) have no OpenAI place.
  }
  return Status::Ok();
}

}  // namespace

std::string ModelPath(const Target& target, std::string_view action) {
  std::string path = target.base_path;
  path.append("/model/").append(UriEncode(target.model)).append("/").append(action);
  return path;
}

Status SignCall(const Target& target, std::string_view accept, HttpCall* call) {
  const SigV4Scope scope{target.aws_region, std::string(kService), target.now_unix_s};
  const SigV4Credentials creds{target.aws_access_key_id, target.aws_secret_access_key,
                               target.aws_session_token};
  call->method = "POST";
  call->headers.clear();
  call->headers.emplace_back("Content-Type", "application/json");
  EDGE_RETURN_IF_ERROR(SignRequest(call->method, call->path, target.host, call->body, call->headers,
                                   scope, creds, &call->headers));
  call->headers.emplace_back("Accept", std::string(accept));  // not signed: free to vary
  return Status::Ok();
}

std::string FinishReason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "content_filtered" || stop_reason == "guardrail_intervened") {
    return "content_filter";
  }
  return "stop";  // end_turn, stop_sequence, and whatever Bedrock adds next
}

Usage ReadUsage(dom::element usage) {
  Usage u;
  const int64_t cache_read = CountMember(usage, "cacheReadInputTokens");
  u.input_tokens = AddTokens(AddTokens(CountMember(usage, "inputTokens"), cache_read),
                             CountMember(usage, "cacheWriteInputTokens"));
  u.output_tokens = CountMember(usage, "outputTokens");
  u.cached_input_tokens = cache_read;
  u.reported = usage["inputTokens"].error() == SUCCESS || usage["outputTokens"].error() == SUCCESS;
  return u;
}

namespace {

Result<ChatResponse> ParseConverse(std::string_view body) {
  DomLease lease;
  dom::element root;
  if (auto err = lease.Parse(body, &root); err != SUCCESS) {
    return BadAnswer(simdjson::error_message(err));
  }
  dom::array content;
  if (root["output"]["message"]["content"].get_array().get(content) != SUCCESS) {
    return BadAnswer("no output.message.content");
  }
  ChatResponse out;
  EDGE_RETURN_IF_ERROR(ReadContent(content, &out));
  out.finish_reason = FinishReason(StringMember(root, "stopReason"));
  dom::element usage;
  if (Member(root, "usage", &usage)) out.usage = ReadUsage(usage);
  return out;
}

ProviderError ClassifyBedrockError(int status, std::string_view retry_after,
                                   std::string_view body) {
  std::string type, message;
  {
    DomLease lease;
    dom::element root;
    if (lease.Parse(body, &root) == SUCCESS && root.is_object()) {
      type = StringMember(root, "__type");
      if (type.empty()) type = StringMember(root, "code");
      message = StringMember(root, "message");
      if (message.empty()) message = StringMember(root, "Message");
    } else {
      message = std::string(body.substr(0, kMaxErrorMessage));
    }
  }
  ProviderError e = ClassifyType(type, status);
  if (e.type.empty()) e.type = "http_" + std::to_string(status);
  e.message = message.empty() ? "Bedrock answered HTTP " + std::to_string(status) : message;
  e.retry_after = std::string(retry_after);
  return e;
}

}  // namespace
}  // namespace internal

namespace {

class Bedrock final : public Adapter {
 public:
  Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                             bool stream) const override {
    HttpCall call;
    EDGE_ASSIGN_OR_RETURN(call.body, internal::ConverseRequestBody(openai_body));
    call.path = internal::ModelPath(target, stream ? "converse-stream" : "converse");
    EDGE_RETURN_IF_ERROR(internal::SignCall(
        target, stream ? "application/vnd.amazon.eventstream" : "application/json", &call));
    return call;
  }

  Result<ChatResponse> ParseChat(std::string_view body) const override {
    return internal::ParseConverse(body);
  }

  std::unique_ptr<StreamDecoder> NewStreamDecoder() const override {
    return internal::NewConverseStreamDecoder();
  }

  Result<HttpCall> BuildEmbeddings(const Target& target,
                                   std::string_view openai_body) const override {
    return internal::BuildEmbeddingsCall(target, openai_body);
  }

  Result<std::string> ParseEmbeddings(const Target& target, std::string_view body,
                                      Usage* usage) const override {
    return internal::ParseEmbeddingsBody(body, target.model, usage);
  }

  ProviderError ClassifyError(int status, const RetryHeaders& retry,
                              std::string_view body) const override {
    return internal::ClassifyBedrockError(status, retry.retry_after, body);
  }
};

}  // namespace

const Adapter& BedrockAdapter() {
  static const Bedrock* const adapter = new Bedrock();  // never destroyed: no exit-order issue
  return *adapter;
}

}  // namespace edge::providers::bedrock
