// The Responses API's typed stream events from canonical deltas:
//   response.created, response.in_progress,
//   per message: response.output_item.added, response.content_part.added,
//     response.output_text.delta..., response.output_text.done, response.content_part.done,
//     response.output_item.done;
//   per function call: response.output_item.added, response.function_call_arguments.delta...,
//     response.function_call_arguments.done, response.output_item.done;
//   response.completed (response.incomplete when cut by max_output_tokens) with the whole
//   response and its usage.
// Every event has an `event:` line and a sequence_number counting from 0.

#include <map>

#include "providers/api/responses_output.h"

namespace edge::providers::api::internal {
namespace {

class ResponsesStreamEncoder : public StreamEncoder {
 public:
  explicit ResponsesStreamEncoder(const CanonicalRequest& request)
      : model_(request.model), created_(request.created) {}

  void Encode(const StreamDelta& delta, std::string* out) override {
    if (delta.kind == StreamDelta::Kind::kStart && !started_) id_ = ResponseId(delta.id);
    if (delta.kind == StreamDelta::Kind::kUsage) return;  // End() has the final numbers
    EnsureStarted(out);
    switch (delta.kind) {
      case StreamDelta::Kind::kText:
        if (delta.text.empty()) break;
        if (open_ < 0 || items_[open_].is_call) OpenMessage(out);
        items_[open_].text += delta.text;
        Event(out, "response.output_text.delta", [&](JsonWriter& w) {
          ItemRef(w, open_);
          Key(w, "content_index");
          w.Int(0);
          KeyString(w, "delta", delta.text);
          EmptyLogprobs(w);
        });
        break;
      case StreamDelta::Kind::kToolCallStart:
        OpenCall(delta.index, delta.tool_id, delta.tool_name, out);
        break;
      case StreamDelta::Kind::kToolCallArgs: {
        if (delta.text.empty()) break;
        auto it = calls_.find(delta.index);
        // Arguments of a call never announced: open it nameless rather than lose them. A
        // provider that interleaves calls may send pieces for an item already done; the
        // SDKs still add them to the item its output_index names.
        const int item = it != calls_.end() ? it->second : OpenCall(delta.index, "", "", out);
        Arguments(item, delta.text, out);
        break;
      }
      case StreamDelta::Kind::kFinish:
        finish_reason_ = delta.finish_reason;
        CloseOpen(out);
        break;
      case StreamDelta::Kind::kStart:
      case StreamDelta::Kind::kUsage:
        break;
    }
  }

  void End(const Usage& usage, std::string* out) override {
    EnsureStarted(out);
    CloseOpen(out);
    ResponseHead head = Head();
    head.status = StatusFor(finish_reason_, &head.incomplete_reason);
    head.usage = &usage;
    // The response is encoded once: the last event carries it, and FinalResponse() keeps it.
    rapidjson::StringBuffer buf;
    JsonWriter response(buf);
    WriteResponse(response, head, items_);
    final_.assign(buf.GetString(), buf.GetSize());
    Event(out, head.status == "incomplete" ? "response.incomplete" : "response.completed",
          [&](JsonWriter& w) {
            Key(w, "response");
            w.RawValue(final_.data(), final_.size(), rapidjson::kObjectType);
          });
  }

  std::string_view FinalResponse() const override { return final_; }

  // As OpenAI ends a failed stream: an `error` event, then response.failed. The error's
  // members are given both flat (the published ResponseErrorEvent schema, which the
  // Vercel AI SDK checks) and nested under "error" (what OpenAI sends; openai-node reads
  // either).
  void Fail(std::string_view message, std::string* out) override {
    EnsureStarted(out);
    Event(out, "error", [&](JsonWriter& w) {
      KeyString(w, "code", "server_error");
      KeyString(w, "message", message);
      Key(w, "param");
      w.Null();
      Key(w, "error");
      w.StartObject();
      KeyString(w, "type", "server_error");
      KeyString(w, "code", "server_error");
      KeyString(w, "message", message);
      Key(w, "param");
      w.Null();
      w.EndObject();
    });
    ResponseHead head = Head();
    head.status = "failed";
    head.error_message = message;
    Lifecycle(out, "response.failed", head);
  }

 private:
  std::string final_;  // End()'s response, for FinalResponse()

  ResponseHead Head() const {
    ResponseHead head;
    head.id = id_;
    head.created_at = created_;
    head.model = model_;
    head.status = "in_progress";
    return head;
  }

  // One event: {"type":type,"sequence_number":n, <fill's members>}.
  template <typename Fill>
  void Event(std::string* out, std::string_view type, Fill&& fill) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    KeyString(w, "type", type);
    Key(w, "sequence_number");
    w.Int64(sequence_++);
    fill(w);
    w.EndObject();
    AppendEvent(out, type, buf);
  }

  void Lifecycle(std::string* out, std::string_view type, const ResponseHead& head) {
    Event(out, type, [&](JsonWriter& w) {
      Key(w, "response");
      WriteResponse(w, head, items_);
    });
  }

  void ItemRef(JsonWriter& w, int item) {
    KeyString(w, "item_id", items_[item].id);
    Key(w, "output_index");
    w.Int(item);
  }

  static void EmptyLogprobs(JsonWriter& w) {
    Key(w, "logprobs");
    w.StartArray();
    w.EndArray();
  }

  void EnsureStarted(std::string* out) {
    if (started_) return;
    started_ = true;
    if (id_.empty()) id_ = ResponseId("");
    Lifecycle(out, "response.created", Head());
    Lifecycle(out, "response.in_progress", Head());
  }

  void ItemEvent(std::string* out, std::string_view type, int item, std::string_view status) {
    Event(out, type, [&](JsonWriter& w) {
      Key(w, "output_index");
      w.Int(item);
      Key(w, "item");
      WriteItem(w, items_[item], status);
    });
  }

  void OpenMessage(std::string* out) {
    CloseOpen(out);
    open_ = static_cast<int>(items_.size());
    items_.emplace_back().id = ItemId("msg_", id_, open_);
    ItemEvent(out, "response.output_item.added", open_, "in_progress");
    Event(out, "response.content_part.added", [&](JsonWriter& w) {
      ItemRef(w, open_);
      Key(w, "content_index");
      w.Int(0);
      Key(w, "part");
      WriteTextPart(w, "");
    });
  }

  int OpenCall(int index, std::string_view tool_id, std::string_view name, std::string* out) {
    CloseOpen(out);
    open_ = static_cast<int>(items_.size());
    OutputItem& item = items_.emplace_back();
    item.is_call = true;
    item.id = ItemId("fc_", id_, open_);
    item.call_id = ToolCallId("call_", tool_id, id_, index);
    item.name.assign(name);
    calls_[index] = open_;
    ItemEvent(out, "response.output_item.added", open_, "in_progress");
    return open_;
  }

  void Arguments(int item, std::string_view text, std::string* out) {
    items_[item].text += text;
    Event(out, "response.function_call_arguments.delta", [&](JsonWriter& w) {
      ItemRef(w, item);
      KeyString(w, "delta", text);
    });
  }

  void CloseOpen(std::string* out) {
    if (open_ < 0) return;
    const int item = open_;
    open_ = -1;
    OutputItem& it = items_[item];
    // A call whose arguments never came gets "{}", as OpenAI sends: clients parse them.
    if (it.is_call && it.text.empty()) Arguments(item, "{}", out);
    it.done = true;
    if (it.is_call) {
      Event(out, "response.function_call_arguments.done", [&](JsonWriter& w) {
        ItemRef(w, item);
        KeyString(w, "arguments", it.text);
        KeyString(w, "name", it.name);
      });
    } else {
      Event(out, "response.output_text.done", [&](JsonWriter& w) {
        ItemRef(w, item);
        Key(w, "content_index");
        w.Int(0);
        KeyString(w, "text", it.text);
        EmptyLogprobs(w);
      });
      Event(out, "response.content_part.done", [&](JsonWriter& w) {
        ItemRef(w, item);
        Key(w, "content_index");
        w.Int(0);
        Key(w, "part");
        WriteTextPart(w, it.text);
      });
    }
    ItemEvent(out, "response.output_item.done", item, "completed");
  }

  std::string model_;
  int64_t created_;
  std::string id_;
  bool started_ = false;
  int64_t sequence_ = 0;
  std::vector<OutputItem> items_;
  int open_ = -1;             // the output item still receiving deltas, -1 when none
  std::map<int, int> calls_;  // tool-call index -> output index
  std::string finish_reason_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewResponsesStreamEncoder(const CanonicalRequest& request) {
  return std::make_unique<ResponsesStreamEncoder>(request);
}

}  // namespace edge::providers::api::internal
