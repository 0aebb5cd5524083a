// The Messages API stream (SSE) -> StreamDelta.
//
// Events: message_start (id, model, usage with the input counts and a provisional
// output_tokens), content_block_start / content_block_delta / content_block_stop (text via
// text_delta, tool calls via input_json_delta pieces), message_delta (stop_reason and the
// cumulative usage: the real output_tokens), message_stop, ping, and error (e.g.
// overloaded_error mid-stream). Unknown events and block or delta types are skipped so that
// new API features (thinking, citations, server tools) do not break streams; malformed JSON
// in a known event is an upstream failure.

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "providers/anthropic/internal.h"
#include "providers/sse.h"

namespace edge::providers::anthropic::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

bool KnownEvent(std::string_view name) {
  return name == "message_start" || name == "content_block_start" ||
         name == "content_block_delta" || name == "content_block_stop" || name == "message_delta" ||
         name == "message_stop" || name == "ping" || name == "error";
}

class MessagesStreamDecoder final : public StreamDecoder {
 public:
  Status Feed(std::string_view bytes, std::vector<StreamDelta>* out) override {
    if (!status_.ok() || Done()) return status_;
    framer_.Feed(bytes, [this, out](const SseEvent& event) { OnEvent(event, out); });
    if (framer_.error() && status_.ok()) status_ = Malformed("an event larger than 8 MiB");
    return status_;
  }

  Status Finish(std::vector<StreamDelta>* out) override {
    if (!status_.ok()) return status_;
    if (!Done()) framer_.Finish([this, out](const SseEvent& event) { OnEvent(event, out); });
    if (!status_.ok()) return status_;
    if (error_) {
      return Unavailable("anthropic stream error " + error_->type + ": " + error_->message);
    }
    if (!stopped_) return Unavailable("anthropic stream ended before message_stop");
    return Status::Ok();
  }

  const std::optional<ProviderError>& error() const override { return error_; }
  const Usage& usage() const override { return usage_; }

 private:
  // A tool_use block of the stream: Anthropic numbers all content blocks, OpenAI only the
  // tool calls.
  struct ToolBlock {
    int64_t block = 0;
    int tool = 0;
    bool args_sent = false;
    std::string start_input;  // the input of content_block_start, normally {}
  };

  bool Done() const { return error_.has_value() || stopped_; }

  void OnEvent(const SseEvent& event, std::vector<StreamDelta>* out) {
    if (!status_.ok() || Done() || !event.has_data) return;
    if (!event.event.empty() && !KnownEvent(event.event)) return;
    JsonLease lease;
    lease.Load(event.data);
    dom::element root;
    if (auto err = lease.Dom(&root); err != SUCCESS) {
      status_ = Malformed(std::string(event.event.empty() ? "an" : event.event) +
                          " event: " + JsonError(err));
      return;
    }
    std::string_view type = event.event;
    if (root["type"].get_string().get(type) != SUCCESS && type.empty()) {
      status_ = Malformed("an event without a type");
      return;
    }
    status_ = Dispatch(type, root, out);
  }

  Status Dispatch(std::string_view type, dom::element root, std::vector<StreamDelta>* out) {
    if (type == "message_start") return OnMessageStart(root, out);
    if (type == "content_block_start") return OnBlockStart(root, out);
    if (type == "content_block_delta") return OnBlockDelta(root, out);
    if (type == "content_block_stop") return OnBlockStop(root, out);
    if (type == "message_delta") return OnMessageDelta(root, out);
    if (type == "message_stop") stopped_ = true;
    if (type == "error") {
      std::string error_type, message;
      if (!ReadErrorBody(root, &error_type, &message)) return Malformed("an unreadable error");
      error_ = ErrorForType(error_type, message, 0);
    }
    return Status::Ok();  // ping, and types this code does not know
  }

  void EmitUsage(dom::object usage, std::vector<StreamDelta>* out) {
    MergeUsage(usage, &counts_);
    usage_ = counts_.ToUsage();
    StreamDelta d;
    d.kind = StreamDelta::Kind::kUsage;
    d.usage = usage_;
    out->push_back(std::move(d));
  }

  Status OnMessageStart(dom::element root, std::vector<StreamDelta>* out) {
    dom::object message;
    if (root["message"].get_object().get(message) != SUCCESS) {
      return Malformed("message_start without a message");
    }
    StreamDelta d;
    d.kind = StreamDelta::Kind::kStart;
    std::string_view s;
    if (message["id"].get_string().get(s) == SUCCESS) d.id = std::string(s);
    if (message["model"].get_string().get(s) == SUCCESS) d.model = std::string(s);
    out->push_back(std::move(d));
    dom::object usage;
    if (message["usage"].get_object().get(usage) == SUCCESS) EmitUsage(usage, out);
    return Status::Ok();
  }

  ToolBlock* FindTool(int64_t block) {
    for (ToolBlock& t : tools_) {
      if (t.block == block) return &t;
    }
    return nullptr;
  }

  Status OnBlockStart(dom::element root, std::vector<StreamDelta>* out) {
    int64_t index = 0;
    dom::object block;
    std::string_view type;
    if (root["index"].get_int64().get(index) != SUCCESS ||
        root["content_block"].get_object().get(block) != SUCCESS ||
        block["type"].get_string().get(type) != SUCCESS) {
      return Malformed("content_block_start without index or content_block");
    }
    if (type == "text") {
      std::string_view text;
      if (block["text"].get_string().get(text) == SUCCESS && !text.empty()) {
        EmitText(text, out);
      }
    } else if (type == "tool_use") {
      std::string_view id, name;
      if (block["id"].get_string().get(id) != SUCCESS ||
          block["name"].get_string().get(name) != SUCCESS) {
        return Malformed("a tool_use block without id or name");
      }
      if (FindTool(index) != nullptr) return Malformed("a content block index used twice");
      if (tools_.size() >= kMaxStreamToolCalls) return Malformed("too many tool calls");
      ToolBlock tool{index, static_cast<int>(tools_.size()), false, "{}"};
      dom::object input;
      if (block["input"].get_object().get(input) == SUCCESS && input.size() > 0) {
        tool.start_input = simdjson::to_string(input);
      }
      StreamDelta d;
      d.kind = StreamDelta::Kind::kToolCallStart;
      d.index = tool.tool;
      d.tool_id = std::string(id);
      d.tool_name = std::string(name);
      out->push_back(std::move(d));
      tools_.push_back(std::move(tool));
    }
    return Status::Ok();
  }

  void EmitText(std::string_view text, std::vector<StreamDelta>* out) {
    StreamDelta d;
    d.kind = StreamDelta::Kind::kText;
    d.text = std::string(text);
    out->push_back(std::move(d));
  }

  void EmitArgs(ToolBlock* tool, std::string_view json, std::vector<StreamDelta>* out) {
    tool->args_sent = true;
    StreamDelta d;
    d.kind = StreamDelta::Kind::kToolCallArgs;
    d.index = tool->tool;
    d.text = std::string(json);
    out->push_back(std::move(d));
  }

  Status OnBlockDelta(dom::element root, std::vector<StreamDelta>* out) {
    int64_t index = 0;
    dom::object delta;
    std::string_view type, piece;
    if (root["index"].get_int64().get(index) != SUCCESS ||
        root["delta"].get_object().get(delta) != SUCCESS ||
        delta["type"].get_string().get(type) != SUCCESS) {
      return Malformed("content_block_delta without index or delta");
    }
    if (type == "text_delta") {
      if (delta["text"].get_string().get(piece) != SUCCESS) return Malformed("text_delta");
      if (!piece.empty()) EmitText(piece, out);
    } else if (type == "input_json_delta") {
      ToolBlock* tool = FindTool(index);
      if (tool == nullptr || delta["partial_json"].get_string().get(piece) != SUCCESS) {
        return Malformed("input_json_delta outside a tool_use block");
      }
      if (!piece.empty()) EmitArgs(tool, piece, out);  // the API often opens with ""
    }
    return Status::Ok();  // thinking_delta, signature_delta, citations_delta, ...
  }

  Status OnBlockStop(dom::element root, std::vector<StreamDelta>* out) {
    int64_t index = 0;
    if (root["index"].get_int64().get(index) != SUCCESS) {
      return Malformed("content_block_stop without index");
    }
    // A tool called without arguments gets no input_json_delta; OpenAI clients parse the
    // arguments they accumulated, and "" is not JSON.
    ToolBlock* tool = FindTool(index);
    if (tool != nullptr && !tool->args_sent) EmitArgs(tool, tool->start_input, out);
    return Status::Ok();
  }

  Status OnMessageDelta(dom::element root, std::vector<StreamDelta>* out) {
    std::string_view stop_reason;
    if (root["delta"]["stop_reason"].get_string().get(stop_reason) == SUCCESS) {
      StreamDelta d;
      d.kind = StreamDelta::Kind::kFinish;
      d.finish_reason = std::string(FinishReason(stop_reason));
      out->push_back(std::move(d));
    }
    dom::object usage;
    if (root["usage"].get_object().get(usage) == SUCCESS) EmitUsage(usage, out);
    return Status::Ok();
  }

  SseFramer framer_;
  Status status_;  // the first failure; sticky
  std::optional<ProviderError> error_;
  UsageCounts counts_;
  Usage usage_;
  std::vector<ToolBlock> tools_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewMessagesStreamDecoder() {
  return std::make_unique<MessagesStreamDecoder>();
}

}  // namespace edge::providers::anthropic::internal
