// ConverseStream: event-stream messages -> StreamDelta.
//
// Events (each a JSON payload with a `p` padding member, ignored): messageStart {role},
// contentBlockStart {contentBlockIndex, start.toolUse{toolUseId,name}}, contentBlockDelta
// {contentBlockIndex, delta.text | delta.toolUse.input}, contentBlockStop, messageStop
// {stopReason}, metadata {usage, metrics}. Exceptions arrive as messages of type
// `exception` named by :exception-type (throttlingException, ...), with {message}.

#include <utility>
#include <vector>

#include "providers/bedrock/eventstream.h"
#include "providers/bedrock/internal.h"

namespace edge::providers::bedrock::internal {
namespace {

namespace dom = simdjson::dom;
using simdjson::SUCCESS;

Status Malformed(std::string what) {
  return Unavailable("malformed Bedrock stream: " + std::move(what));
}

class ConverseStreamDecoder final : public StreamDecoder {
 public:
  Status Feed(std::string_view bytes, std::vector<StreamDelta>* out) override {
    if (error_) return Status::Ok();  // nothing after the provider's error counts
    out_ = out;
    Status s = frames_.Feed(bytes, [this](const EventMessage& m) { return OnMessage(m); });
    out_ = nullptr;
    // After an exception the frame decoder was stopped on purpose; what followed is moot.
    return error_ ? Status::Ok() : s;
  }

  Status Finish(std::vector<StreamDelta>* out) override {
    if (error_) return Status::Ok();  // error() tells what happened
    if (!frames_.status().ok()) return frames_.status();
    if (frames_.pending() > 0) return Malformed("the body ended inside a message");
    if (!stopped_) return Malformed("the body ended before messageStop");
    return Status::Ok();
  }

  const std::optional<ProviderError>& error() const override { return error_; }
  const Usage& usage() const override { return usage_; }

 private:
  Status OnMessage(const EventMessage& m);
  Status OnEvent(std::string_view type, dom::element payload);
  Status OnBlockStart(dom::element payload);
  Status OnBlockDelta(dom::element payload);
  // `payload` is JSON {message}; `message` is used when it has none.
  void OnException(std::string_view type, std::string_view payload, std::string_view message);

  StreamDelta& Emit(StreamDelta::Kind kind) {
    out_->emplace_back();
    out_->back().kind = kind;
    return out_->back();
  }

  EventStreamDecoder frames_;
  std::vector<StreamDelta>* out_ = nullptr;  // set during Feed
  std::optional<ProviderError> error_;
  Usage usage_;
  bool stopped_ = false;
  // contentBlockIndex of each tool call, in order: the position is OpenAI's tool index.
  std::vector<int64_t> tool_blocks_;
};

Status ConverseStreamDecoder::OnMessage(const EventMessage& m) {
  const std::string_view kind = m.StringHeader(":message-type");
  if (kind == "exception") {
    OnException(m.StringHeader(":exception-type"), m.payload, {});
    return Cancelled("the provider reported an error");  // stops decoding
  }
  if (kind == "error") {
    // A protocol-level error names itself in headers rather than in a JSON payload.
    OnException(m.StringHeader(":error-code"), {}, m.StringHeader(":error-message"));
    return Cancelled("the provider reported an error");
  }
  if (kind != "event") return Malformed("a message of type '" + std::string(kind) + "'");
  DomLease lease;
  dom::element payload;
  if (auto err = lease.Parse(m.payload, &payload); err != SUCCESS || !payload.is_object()) {
    return Malformed("event payload is not a JSON object");
  }
  return OnEvent(m.StringHeader(":event-type"), payload);
}

Status ConverseStreamDecoder::OnEvent(std::string_view type, dom::element payload) {
  if (type == "messageStart") {
    Emit(StreamDelta::Kind::kStart);
  } else if (type == "contentBlockStart") {
    return OnBlockStart(payload);
  } else if (type == "contentBlockDelta") {
    return OnBlockDelta(payload);
  } else if (type == "messageStop") {
    stopped_ = true;
    Emit(StreamDelta::Kind::kFinish).finish_reason =
        FinishReason(StringMember(payload, "stopReason"));
  } else if (type == "metadata") {
    dom::element usage;
    if (Member(payload, "usage", &usage)) {
      usage_ = ReadUsage(usage);
      Emit(StreamDelta::Kind::kUsage).usage = usage_;
    }
  }
  // contentBlockStop and events added later carry nothing for the client.
  return Status::Ok();
}

Status ConverseStreamDecoder::OnBlockStart(dom::element payload) {
  dom::element tool;
  if (!Member(payload, "start", &tool) || !Member(tool, "toolUse", &tool)) return Status::Ok();
  int64_t block = 0;
  if (payload["contentBlockIndex"].get_int64().get(block) != SUCCESS) {
    return Malformed("contentBlockStart without contentBlockIndex");
  }
  if (tool_blocks_.size() >= kMaxStreamToolCalls) return Malformed("too many tool calls");
  StreamDelta& d = Emit(StreamDelta::Kind::kToolCallStart);
  d.index = static_cast<int>(tool_blocks_.size());
  d.tool_id = std::string(StringMember(tool, "toolUseId"));
  d.tool_name = std::string(StringMember(tool, "name"));
  tool_blocks_.push_back(block);
  return Status::Ok();
}

Status ConverseStreamDecoder::OnBlockDelta(dom::element payload) {
  dom::element delta;
  if (!Member(payload, "delta", &delta)) return Malformed("contentBlockDelta without delta");
  std::string_view text;
  if (delta["text"].get_string().get(text) == SUCCESS) {
    if (!text.empty()) Emit(StreamDelta::Kind::kText).text = std::string(text);
    return Status::Ok();
  }
  if (delta["toolUse"]["input"].get_string().get(text) != SUCCESS) {
    return Status::Ok();  // reasoningContent, citations: nothing OpenAI-shaped to say
  }
  int64_t block = 0;
  if (payload["contentBlockIndex"].get_int64().get(block) != SUCCESS) {
    return Malformed("contentBlockDelta without contentBlockIndex");
  }
  for (size_t i = 0; i < tool_blocks_.size(); ++i) {
    if (tool_blocks_[i] != block) continue;
    StreamDelta& d = Emit(StreamDelta::Kind::kToolCallArgs);
    d.index = static_cast<int>(i);
    d.text = std::string(text);
    return Status::Ok();
  }
  return Malformed("toolUse input for a block that did not start a tool call");
}

void ConverseStreamDecoder::OnException(std::string_view type, std::string_view payload,
                                        std::string_view message) {
  error_ = ClassifyType(type.empty() ? "unknown" : type, 0);
  error_->message = std::string(message);
  DomLease lease;
  dom::element root;
  if (!payload.empty() && lease.Parse(payload, &root) == SUCCESS) {
    error_->message = std::string(StringMember(root, "message"));
    if (error_->message.empty()) error_->message = std::string(StringMember(root, "Message"));
  }
  if (error_->message.empty()) error_->message = "Bedrock stream failed: " + error_->type;
}

}  // namespace

std::unique_ptr<StreamDecoder> NewConverseStreamDecoder() {
  return std::make_unique<ConverseStreamDecoder>();
}

}  // namespace edge::providers::bedrock::internal
