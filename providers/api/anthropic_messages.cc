// The Anthropic Messages API (POST /v1/messages): answers and streams in Anthropic's shape.
// Requests are converted in anthropic_request.cc.

#include <map>

#include "providers/api/client_api.h"
#include "providers/api/internal.h"

namespace edge::providers::api {
namespace {

using internal::JsonWriter;
using internal::Key;
using internal::KeyString;

std::string MessageId(std::string_view id) { return internal::PrefixedId("msg_", id, "edge"); }

std::string_view StopReason(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

// Anthropic counts cached input apart from input_tokens.
void WriteMessagesUsage(JsonWriter& w, const Usage& u) {
  w.StartObject();
  Key(w, "input_tokens");
  w.Int64(internal::UncachedInput(u));
  Key(w, "output_tokens");
  w.Int64(u.output_tokens);
  Key(w, "cache_creation_input_tokens");
  w.Int64(0);
  Key(w, "cache_read_input_tokens");
  w.Int64(u.cached_input_tokens);
  w.EndObject();
}

// A tool_use block's `input` is the arguments as a JSON object. Arguments that are empty
// or not an object (a call cut off by max_tokens) become {}, as Anthropic's SDK does with
// input it cannot parse.
void WriteInput(JsonWriter& w, std::string_view arguments) {
  JsonTree tree;
  JsonReadOptions options;
  options.refuse_duplicate_keys = false;  // the provider's words, passed as they came
  options.max_depth = internal::kMaxDepth;
  if (tree.Parse(arguments, options).ok() && tree.root().IsObject()) {
    WriteJson(w, tree.root());
  } else {
    w.StartObject();
    w.EndObject();
  }
}

std::string ErrorType(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

void WriteError(JsonWriter& w, std::string_view type, std::string_view message) {
  w.StartObject();
  KeyString(w, "type", "error");
  Key(w, "error");
  w.StartObject();
  KeyString(w, "type", type);
  KeyString(w, "message", message);
  w.EndObject();
  w.EndObject();
}

// Writes Anthropic's event sequence: message_start, then per content block
// content_block_start / content_block_delta... / content_block_stop, then message_delta
// (stop reason and usage) and message_stop. message_start is held until content or the
// end, so that input tokens an upstream reports at its start (Anthropic's own
// message_start) are in it; an OpenAI-shaped upstream reports them only at the end, in
// message_delta's usage.
class MessagesStreamEncoder : public StreamEncoder {
 public:
  explicit MessagesStreamEncoder(const CanonicalRequest& request) : model_(request.model) {}

  void Encode(const StreamDelta& delta, std::string* out) override {
    switch (delta.kind) {
      case StreamDelta::Kind::kStart:
        id_ = MessageId(delta.id);
        break;
      case StreamDelta::Kind::kUsage:
        usage_ = delta.usage;
        break;
      case StreamDelta::Kind::kText:
        if (delta.text.empty()) break;
        if (open_ < 0 || open_is_tool_) OpenText(out);
        BlockDelta(out, open_, "text_delta", "text", delta.text);
        break;
      case StreamDelta::Kind::kToolCallStart:
        OpenTool(delta.index, delta.tool_id, delta.tool_name, out);
        break;
      case StreamDelta::Kind::kToolCallArgs: {
        if (delta.text.empty()) break;
        auto it = tool_blocks_.find(delta.index);
        // Arguments of a call never announced: open it nameless rather than lose them.
        int block = it != tool_blocks_.end() ? it->second : OpenTool(delta.index, "", "", out);
        // A provider that interleaves calls sends pieces for a block already closed; the
        // SDKs still apply a delta to the block its index names.
        BlockDelta(out, block, "input_json_delta", "partial_json", delta.text);
        break;
      }
      case StreamDelta::Kind::kFinish:
        EnsureStarted(out);
        CloseOpen(out);
        stop_reason_ = StopReason(delta.finish_reason);
        break;
    }
  }

  void End(const Usage& usage, std::string* out) override {
    EnsureStarted(out);
    CloseOpen(out);
    if (stop_reason_.empty()) stop_reason_ = tool_blocks_.empty() ? "end_turn" : "tool_use";
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    KeyString(w, "type", "message_delta");
    Key(w, "delta");
    w.StartObject();
    KeyString(w, "stop_reason", stop_reason_);
    Key(w, "stop_sequence");
    w.Null();
    w.EndObject();
    Key(w, "usage");
    WriteMessagesUsage(w, usage);
    w.EndObject();
    internal::AppendEvent(out, "message_delta", buf);
    out->append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  }

  void Fail(std::string_view message, std::string* out) override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    WriteError(w, "api_error", message);
    internal::AppendEvent(out, "error", buf);
  }

 private:
  void EnsureStarted(std::string* out) {
    if (started_) return;
    started_ = true;
    if (id_.empty()) id_ = MessageId("");
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    KeyString(w, "type", "message_start");
    Key(w, "message");
    w.StartObject();
    KeyString(w, "id", id_);
    KeyString(w, "type", "message");
    KeyString(w, "role", "assistant");
    KeyString(w, "model", model_);
    Key(w, "content");
    w.StartArray();
    w.EndArray();
    Key(w, "stop_reason");
    w.Null();
    Key(w, "stop_sequence");
    w.Null();
    Key(w, "usage");
    Usage start = usage_;
    start.output_tokens = 0;  // provisional, as Anthropic's; message_delta has the count
    WriteMessagesUsage(w, start);
    w.EndObject();
    w.EndObject();
    internal::AppendEvent(out, "message_start", buf);
  }

  // content_block_start for the next index; `fill` writes the content_block's members.
  template <typename Fill>
  int OpenBlock(std::string* out, bool tool, Fill&& fill) {
    EnsureStarted(out);
    CloseOpen(out);
    open_ = next_index_++;
    open_is_tool_ = tool;
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    KeyString(w, "type", "content_block_start");
    Key(w, "index");
    w.Int(open_);
    Key(w, "content_block");
    w.StartObject();
    fill(w);
    w.EndObject();
    w.EndObject();
    internal::AppendEvent(out, "content_block_start", buf);
    return open_;
  }

  void OpenText(std::string* out) {
    OpenBlock(out, false, [](JsonWriter& w) {
      KeyString(w, "type", "text");
      KeyString(w, "text", "");
    });
  }

  int OpenTool(int index, std::string_view id, std::string_view name, std::string* out) {
    EnsureStarted(out);  // sets id_, which a made-up tool id is built from
    const std::string tool_id = internal::ToolCallId("toolu_", id, id_, index);
    const int block = OpenBlock(out, true, [&](JsonWriter& w) {
      KeyString(w, "type", "tool_use");
      KeyString(w, "id", tool_id);
      KeyString(w, "name", name);
      Key(w, "input");
      w.StartObject();
      w.EndObject();
    });
    tool_blocks_[index] = block;
    return block;
  }

  void BlockDelta(std::string* out, int index, std::string_view type, std::string_view key,
                  std::string_view text) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    KeyString(w, "type", "content_block_delta");
    Key(w, "index");
    w.Int(index);
    Key(w, "delta");
    w.StartObject();
    KeyString(w, "type", type);
    KeyString(w, key, text);
    w.EndObject();
    w.EndObject();
    internal::AppendEvent(out, "content_block_delta", buf);
  }

  void CloseOpen(std::string* out) {
    if (open_ < 0) return;
    out->append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":");
    out->append(std::to_string(open_));
    out->append("}\n\n");
    open_ = -1;
  }

  std::string model_;
  std::string id_;
  Usage usage_;
  bool started_ = false;
  int open_ = -1;  // the index of the open content block, -1 when none
  bool open_is_tool_ = false;
  int next_index_ = 0;
  std::map<int, int> tool_blocks_;  // tool-call index -> content block index
  std::string stop_reason_;
};

class AnthropicMessages : public ClientApi {
 public:
  Result<CanonicalRequest> ToCanonical(std::string_view body) const override {
    return internal::AnthropicToCanonical(body);
  }

  std::string EncodeResponse(const ChatResponse& r, std::string_view model) const override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    const std::string id = MessageId(r.id);
    w.StartObject();
    KeyString(w, "id", id);
    KeyString(w, "type", "message");
    KeyString(w, "role", "assistant");
    KeyString(w, "model", model);
    Key(w, "content");
    w.StartArray();
    if (!r.text.empty()) {
      w.StartObject();
      KeyString(w, "type", "text");
      KeyString(w, "text", r.text);
      w.EndObject();
    }
    for (size_t i = 0; i < r.tool_calls.size(); ++i) {
      const ToolCall& call = r.tool_calls[i];
      w.StartObject();
      KeyString(w, "type", "tool_use");
      KeyString(w, "id", internal::ToolCallId("toolu_", call.id, id, static_cast<int>(i)));
      KeyString(w, "name", call.name);
      Key(w, "input");
      WriteInput(w, call.arguments);
      w.EndObject();
    }
    w.EndArray();
    KeyString(w, "stop_reason", StopReason(r.finish_reason));
    Key(w, "stop_sequence");
    w.Null();
    Key(w, "usage");
    WriteMessagesUsage(w, r.usage);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }

  std::unique_ptr<StreamEncoder> NewStreamEncoder(const CanonicalRequest& request) const override {
    return std::make_unique<MessagesStreamEncoder>(request);
  }

  // Anthropic's shape has no code; `code` is not shown.
  std::string ErrorBody(int status, std::string_view message, std::string_view) const override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    WriteError(w, ErrorType(status), message);
    return std::string(buf.GetString(), buf.GetSize());
  }
};

}  // namespace

const ClientApi& AnthropicMessagesApi() {
  static const AnthropicMessages api;
  return api;
}

}  // namespace edge::providers::api
