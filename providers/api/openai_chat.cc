// The OpenAI chat completions API (POST /v1/chat/completions): the canonical shape itself,
// so requests pass unchanged and answers are written as OpenAI writes them.

#include <map>

#include "providers/api/client_api.h"
#include "providers/api/internal.h"
#include "providers/openai/openai.h"

namespace edge::providers::api {
namespace {

using internal::JsonWriter;
using internal::Key;
using internal::KeyString;

void WriteChatUsage(JsonWriter& w, const Usage& u) {
  w.StartObject();
  Key(w, "prompt_tokens");
  w.Int64(u.input_tokens);
  Key(w, "completion_tokens");
  w.Int64(u.output_tokens);
  Key(w, "total_tokens");
  w.Int64(AddTokens(u.input_tokens, u.output_tokens));
  Key(w, "prompt_tokens_details");
  w.StartObject();
  Key(w, "cached_tokens");
  w.Int64(u.cached_input_tokens);
  w.EndObject();
  Key(w, "completion_tokens_details");
  w.StartObject();
  Key(w, "reasoning_tokens");
  w.Int64(u.reasoning_tokens);
  w.EndObject();
  w.EndObject();
}

void WriteToolCall(JsonWriter& w, std::string_view id, std::string_view name,
                   std::string_view arguments) {
  w.StartObject();
  KeyString(w, "id", id);
  KeyString(w, "type", "function");
  Key(w, "function");
  w.StartObject();
  KeyString(w, "name", name);
  KeyString(w, "arguments", arguments);
  w.EndObject();
  w.EndObject();
}

std::string ChatId(std::string_view id) { return internal::PrefixedId("chatcmpl-", id, "edge"); }

// Writes chat.completion.chunk events; one per stream.
class ChatStreamEncoder : public StreamEncoder {
 public:
  explicit ChatStreamEncoder(const CanonicalRequest& request)
      : model_(request.model),
        created_(request.created),
        wants_usage_(request.client_wants_usage) {}

  void Encode(const StreamDelta& delta, std::string* out) override {
    if (delta.kind == StreamDelta::Kind::kStart) id_ = ChatId(delta.id);
    if (delta.kind == StreamDelta::Kind::kUsage) return;  // End() has the final numbers
    EnsureStarted(out);
    switch (delta.kind) {
      case StreamDelta::Kind::kText:
        if (!delta.text.empty())
          Chunk(out, [&](JsonWriter& w) { KeyString(w, "content", delta.text); });
        break;
      case StreamDelta::Kind::kToolCallStart: {
        tool_has_args_.emplace(delta.index, false);
        const std::string id = internal::ToolCallId("call_", delta.tool_id, id_, delta.index);
        Chunk(out, [&](JsonWriter& w) {
          ToolCallsDelta(w, delta.index, [&] {
            KeyString(w, "id", id);
            KeyString(w, "type", "function");
            Key(w, "function");
            w.StartObject();
            KeyString(w, "name", delta.tool_name);
            KeyString(w, "arguments", "");
            w.EndObject();
          });
        });
        break;
      }
      case StreamDelta::Kind::kToolCallArgs:
        if (!delta.text.empty()) Arguments(delta.index, delta.text, out);
        break;
      case StreamDelta::Kind::kFinish:
        if (!finished_) Finish(delta.finish_reason.empty() ? "stop" : delta.finish_reason, out);
        break;
      case StreamDelta::Kind::kStart:
      case StreamDelta::Kind::kUsage:
        break;
    }
  }

  void End(const Usage& usage, std::string* out) override {
    EnsureStarted(out);
    if (!finished_) Finish("stop", out);
    if (wants_usage_) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      Envelope(w);
      Key(w, "choices");
      w.StartArray();
      w.EndArray();
      Key(w, "usage");
      WriteChatUsage(w, usage);
      w.EndObject();
      internal::AppendEvent(out, "", buf);
    }
    out->append("data: [DONE]\n\n");
  }

  void Fail(std::string_view message, std::string* out) override {
    out->append(openai::StreamErrorEvent(message, "api_error", ""));
  }

 private:
  // The chunk's members before `choices`.
  void Envelope(JsonWriter& w) {
    w.StartObject();
    KeyString(w, "id", id_);
    KeyString(w, "object", "chat.completion.chunk");
    Key(w, "created");
    w.Int64(created_);
    KeyString(w, "model", model_);
  }

  // One chunk with one choice whose delta members `fill` writes. With include_usage,
  // OpenAI puts "usage":null on every chunk but the last; clients may rely on the key.
  template <typename Fill>
  void Chunk(std::string* out, Fill&& fill, std::string_view finish_reason = "") {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    Envelope(w);
    Key(w, "choices");
    w.StartArray();
    w.StartObject();
    Key(w, "index");
    w.Int(0);
    Key(w, "delta");
    w.StartObject();
    fill(w);
    w.EndObject();
    Key(w, "logprobs");
    w.Null();
    Key(w, "finish_reason");
    internal::NullableString(w, finish_reason);
    w.EndObject();
    w.EndArray();
    if (wants_usage_) {
      Key(w, "usage");
      w.Null();
    }
    w.EndObject();
    internal::AppendEvent(out, "", buf);
  }

  template <typename Fill>
  static void ToolCallsDelta(JsonWriter& w, int index, Fill&& fill) {
    Key(w, "tool_calls");
    w.StartArray();
    w.StartObject();
    Key(w, "index");
    w.Int(index);
    fill();
    w.EndObject();
    w.EndArray();
  }

  // The first chunk: the role, and empty content, as OpenAI opens every stream.
  void EnsureStarted(std::string* out) {
    if (started_) return;
    started_ = true;
    if (id_.empty()) id_ = ChatId("");
    Chunk(out, [](JsonWriter& w) {
      KeyString(w, "role", "assistant");
      KeyString(w, "content", "");
      Key(w, "refusal");
      w.Null();
    });
  }

  void Arguments(int index, std::string_view text, std::string* out) {
    tool_has_args_[index] = true;
    Chunk(out, [&](JsonWriter& w) {
      ToolCallsDelta(w, index, [&] {
        Key(w, "function");
        w.StartObject();
        KeyString(w, "arguments", text);
        w.EndObject();
      });
    });
  }

  void Finish(std::string_view reason, std::string* out) {
    // A call whose arguments never came (a tool without parameters, from a provider that
    // sends nothing for them) gets "{}", as OpenAI sends: clients parse the joined pieces.
    for (const auto& [index, has_args] : tool_has_args_) {
      if (!has_args) Arguments(index, "{}", out);
    }
    finished_ = true;
    Chunk(
        out, [](JsonWriter&) {}, reason);
  }

  std::string model_;
  int64_t created_;
  bool wants_usage_;
  std::string id_;
  bool started_ = false;
  bool finished_ = false;
  std::map<int, bool> tool_has_args_;  // tool-call index -> some arguments were sent
};

class OpenAiChat : public ClientApi {
 public:
  Result<CanonicalRequest> ToCanonical(std::string_view body) const override {
    EDGE_ASSIGN_OR_RETURN(openai::RequestInfo info, openai::InspectRequest(body));
    CanonicalRequest req;
    req.model = std::move(info.model);
    req.stream = info.stream;
    req.client_wants_usage = info.client_wants_usage;
    req.openai_body.assign(body);
    return req;
  }

  std::string EncodeResponse(const ChatResponse& r, std::string_view model) const override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    const std::string id = ChatId(r.id);
    w.StartObject();
    KeyString(w, "id", id);
    KeyString(w, "object", "chat.completion");
    Key(w, "created");
    w.Int64(r.created);
    KeyString(w, "model", model);
    Key(w, "choices");
    w.StartArray();
    w.StartObject();
    Key(w, "index");
    w.Int(0);
    Key(w, "message");
    w.StartObject();
    KeyString(w, "role", "assistant");
    Key(w, "content");
    if (r.text.empty() && !r.tool_calls.empty()) {
      w.Null();  // OpenAI's shape for an answer that only calls tools
    } else {
      internal::String(w, r.text);
    }
    if (!r.tool_calls.empty()) {
      Key(w, "tool_calls");
      w.StartArray();
      for (size_t i = 0; i < r.tool_calls.size(); ++i) {
        const ToolCall& call = r.tool_calls[i];
        WriteToolCall(w, internal::ToolCallId("call_", call.id, id, static_cast<int>(i)), call.name,
                      internal::ArgumentsOrEmpty(call.arguments));
      }
      w.EndArray();
    }
    Key(w, "refusal");
    w.Null();
    w.EndObject();
    Key(w, "logprobs");
    w.Null();
    KeyString(w, "finish_reason", r.finish_reason.empty() ? "stop" : r.finish_reason);
    w.EndObject();
    w.EndArray();
    Key(w, "usage");
    WriteChatUsage(w, r.usage);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }

  std::unique_ptr<StreamEncoder> NewStreamEncoder(const CanonicalRequest& request) const override {
    return std::make_unique<ChatStreamEncoder>(request);
  }

  std::string ErrorBody(int status, std::string_view message,
                        std::string_view code) const override {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    internal::WriteOpenAiError(w, status, message, code);
    return std::string(buf.GetString(), buf.GetSize());
  }
};

}  // namespace

const ClientApi& OpenAiChatApi() {
  static const OpenAiChat api;
  return api;
}

}  // namespace edge::providers::api
