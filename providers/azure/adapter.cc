#include "providers/azure/adapter.h"

#include <string>
#include <utility>

#include "providers/openai/chat_wire.h"
#include "providers/openai/openai.h"

namespace edge::providers::azure {
namespace {

constexpr std::string_view kName = "azure";

// Percent-encodes what may not stand in a path segment or a query value. '@' and '=' are
// legal there and kept, so fault switches of the fake provider ("gpt-4o@429") pass as typed.
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '@' || c == '=') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Result<HttpCall> Call(const Target& target, std::string_view operation, std::string body,
                      bool stream) {
  if (target.model.empty()) return InvalidArgument("azure: the deployment name is empty");
  HttpCall call;
  call.path = target.base_path + "/openai/deployments/" + Escape(target.model) + "/" +
              std::string(operation) + "?api-version=" +
              Escape(target.api_version.empty() ? kDefaultApiVersion : target.api_version);
  call.headers.emplace_back("api-key", target.api_key);
  call.headers.emplace_back("content-type", "application/json");
  if (stream) call.headers.emplace_back("accept", "text/event-stream");
  call.body = std::move(body);
  return call;
}

class AzureOpenAiAdapter final : public Adapter {
 public:
  Result<HttpCall> BuildChat(const Target& target, std::string_view openai_body,
                             bool stream) const override {
    // Azure routes by the deployment in the path; the model in the body is informational.
    EDGE_ASSIGN_OR_RETURN(std::string body,
                          openai::ChatRequestBody(openai_body, target.model, stream));
    return Call(target, "chat/completions", std::move(body), stream);
  }

  Result<ChatResponse> ParseChat(std::string_view body) const override {
    return openai::ParseChatCompletion(body, kName);
  }

  std::unique_ptr<StreamDecoder> NewStreamDecoder() const override {
    return openai::NewChatChunkDecoder(kName);
  }

  Result<HttpCall> BuildEmbeddings(const Target& target,
                                   std::string_view openai_body) const override {
    EDGE_ASSIGN_OR_RETURN(std::string body,
                          openai::RewriteRequest(openai_body, target.model, false));
    return Call(target, "embeddings", std::move(body), false);
  }

  // Azure's answer names its model, as OpenAI's does: it passes as it is.
  Result<std::string> ParseEmbeddings(const Target&, std::string_view body,
                                      Usage* usage) const override {
    return openai::ReadEmbeddingsBody(body, kName, usage);
  }

  ProviderError ClassifyError(int status, const RetryHeaders& retry,
                              std::string_view body) const override {
    return openai::ClassifyHttpError(kName, status, retry, body);
  }
};

}  // namespace

const Adapter& AzureAdapter() {
  static const AzureOpenAiAdapter* const adapter = new AzureOpenAiAdapter();
  return *adapter;
}

}  // namespace edge::providers::azure
