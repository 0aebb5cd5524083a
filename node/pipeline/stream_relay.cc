#include "node/pipeline/stream_relay.h"

#include <vector>

#include "providers/anthropic/passthrough.h"
#include "providers/openai/openai.h"
#include "providers/openai/responses_passthrough.h"
#include "providers/usage_estimate.h"

namespace edge::pipeline {
namespace {

providers::ProviderError Malformed(std::string message) {
  providers::ProviderError e;
  e.status = 502;
  e.retryable = true;
  e.type = "malformed_stream";
  e.message = std::move(message);
  return e;
}

class OpenAiChatRelay final : public StreamRelay {
 public:
  explicit OpenAiChatRelay(bool wants_usage) : relay_(wants_usage) {}
  void Feed(std::string_view bytes, std::string* out) override { relay_.Feed(bytes, out); }
  void Finish(std::string* out) override { relay_.Finish(out); }
  void Fail(std::string_view message, std::string* out) override {
    out->append(providers::openai::StreamErrorEvent(message, "api_error", "upstream_stream_broken"));
  }
  bool done() const override { return relay_.done(); }
  bool content_started() const override { return relay_.content_started(); }
  std::optional<providers::ProviderError> error() const override {
    if (relay_.failed()) return Malformed("upstream sent an SSE event over the size limit");
    return std::nullopt;
  }
  std::optional<providers::Usage> usage() const override { return relay_.usage(); }
  size_t output_chars() const override { return relay_.output_chars(); }

 private:
  providers::openai::ChatStreamRelay relay_;
};

class AnthropicRelay final : public StreamRelay {
 public:
  void Feed(std::string_view bytes, std::string* out) override { relay_.Feed(bytes, out); }
  void Finish(std::string* out) override { relay_.Finish(out); }
  void Fail(std::string_view message, std::string* out) override {
    // An `error` event the provider sent was forwarded already: one is enough.
    if (!relay_.error()) out->append(providers::anthropic::StreamErrorEvent("api_error", message));
  }
  bool done() const override { return relay_.saw_stop(); }
  bool content_started() const override { return relay_.content_started(); }
  std::optional<providers::ProviderError> error() const override {
    if (relay_.failed()) return Malformed("upstream sent an SSE event over the size limit");
    return relay_.error();
  }
  std::optional<providers::Usage> usage() const override {
    if (!relay_.saw_start()) return std::nullopt;
    return relay_.usage();
  }
  size_t output_chars() const override { return relay_.output_chars(); }

 private:
  providers::anthropic::PassthroughStream relay_;
};

class ResponsesRelay final : public StreamRelay {
 public:
  void Feed(std::string_view bytes, std::string* out) override { relay_.Feed(bytes, out); }
  void Finish(std::string* out) override { relay_.Finish(out); }
  void Fail(std::string_view message, std::string* out) override {
    if (!relay_.error()) out->append(providers::openai::ResponsesStreamErrorEvent(message));
  }
  bool done() const override { return relay_.done(); }
  bool content_started() const override { return relay_.content_started(); }
  std::optional<providers::ProviderError> error() const override {
    if (relay_.failed()) return Malformed("upstream sent an SSE event over the size limit");
    return relay_.error();
  }
  std::optional<providers::Usage> usage() const override { return relay_.usage(); }
  size_t output_chars() const override { return relay_.output_chars(); }

 private:
  providers::openai::ResponsesPassthrough relay_;
};

bool IsContent(const providers::StreamDelta& d) {
  using Kind = providers::StreamDelta::Kind;
  return (d.kind == Kind::kText && !d.text.empty()) || d.kind == Kind::kToolCallStart ||
         d.kind == Kind::kToolCallArgs;
}

class TranslatingRelay final : public StreamRelay {
 public:
  TranslatingRelay(const providers::Adapter& adapter, const providers::api::ClientApi& client,
                   const providers::api::CanonicalRequest& request)
      : decoder_(adapter.NewStreamDecoder()), encoder_(client.NewStreamEncoder(request)) {}

  void Feed(std::string_view bytes, std::string* out) override {
    if (malformed_ || decoder_->error()) return;
    deltas_.clear();
    Status s = decoder_->Feed(bytes, &deltas_);
    Encode(out);
    if (!s.ok()) malformed_ = Malformed("malformed stream from the provider: " + s.message());
  }
  void Finish(std::string* out) override {
    if (malformed_ || decoder_->error()) return;
    deltas_.clear();
    Status s = decoder_->Finish(&deltas_);
    Encode(out);
    if (!s.ok()) {
      malformed_ = Malformed("the provider's stream ended early: " + s.message());
      return;
    }
    encoder_->End(decoder_->usage(), out);
    done_ = true;
  }
  void Fail(std::string_view message, std::string* out) override { encoder_->Fail(message, out); }
  std::string_view final_response() const override {
    return done_ ? encoder_->FinalResponse() : std::string_view();
  }
  bool done() const override { return done_; }
  bool content_started() const override { return content_started_; }
  std::optional<providers::ProviderError> error() const override {
    if (malformed_) return malformed_;
    return decoder_->error();
  }
  std::optional<providers::Usage> usage() const override {
    const providers::Usage& u = decoder_->usage();
    if (!u.reported && u.input_tokens == 0 && u.output_tokens == 0) return std::nullopt;
    return u;
  }
  size_t output_chars() const override { return output_chars_; }

 private:
  void Encode(std::string* out) {
    using Kind = providers::StreamDelta::Kind;
    for (const auto& d : deltas_) {
      if (IsContent(d)) content_started_ = true;
      if (d.kind == Kind::kText || d.kind == Kind::kToolCallArgs) output_chars_ += d.text.size();
      if (d.kind == Kind::kToolCallStart) output_chars_ += d.tool_name.size();
      encoder_->Encode(d, out);
    }
  }

  std::unique_ptr<providers::StreamDecoder> decoder_;
  std::unique_ptr<providers::api::StreamEncoder> encoder_;
  std::vector<providers::StreamDelta> deltas_;
  std::optional<providers::ProviderError> malformed_;
  bool content_started_ = false;
  bool done_ = false;
  size_t output_chars_ = 0;
};

}  // namespace

providers::Usage BilledStreamUsage(const StreamRelay& relay, std::string_view request_body) {
  std::optional<providers::Usage> reported = relay.usage();
  if (relay.done() && reported && reported->reported) return *reported;
  return providers::UsageSoFar(reported, relay.output_chars(), request_body);
}

std::unique_ptr<StreamRelay> NewOpenAiChatRelay(bool client_wants_usage) {
  return std::make_unique<OpenAiChatRelay>(client_wants_usage);
}
std::unique_ptr<StreamRelay> NewAnthropicRelay() { return std::make_unique<AnthropicRelay>(); }
std::unique_ptr<StreamRelay> NewResponsesRelay() { return std::make_unique<ResponsesRelay>(); }
std::unique_ptr<StreamRelay> NewTranslatingRelay(const providers::Adapter& adapter,
                                                 const providers::api::ClientApi& client,
                                                 const providers::api::CanonicalRequest& request) {
  return std::make_unique<TranslatingRelay>(adapter, client, request);
}

}  // namespace edge::pipeline
