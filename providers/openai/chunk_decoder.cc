// chat.completion.chunk SSE -> StreamDelta (the Adapter's stream decoder; the node's own
// pass-through relay is stream.cc).
//
// Each `data:` event is a chunk: choice 0's delta carries text (content, or a refusal) and
// tool-call pieces; finish_reason ends the answer; the chunk asked for with
// stream_options.include_usage has empty choices and the usage. `data: [DONE]` is the end.
// Tool calls are numbered by OpenAI's `index`; servers that repeat index 0 for calls with
// different ids (older Ollama) still get one tool call per id.

#include <simdjson.h>

#include <string>
#include <vector>

#include "providers/openai/chat_internal.h"
#include "providers/openai/chat_wire.h"
#include "providers/openai/internal.h"
#include "providers/sse.h"

namespace edge::providers::openai {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;
using Kind = StreamDelta::Kind;

class ChunkDecoder final : public StreamDecoder {
 public:
  explicit ChunkDecoder(std::string_view provider) : provider_(provider) {}

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
    if (error_) return Unavailable(provider_ + " stream error: " + error_->message);
    if (!done_) return Unavailable(provider_ + " stream ended before data: [DONE]");
    return Status::Ok();
  }

  const std::optional<ProviderError>& error() const override { return error_; }
  const Usage& usage() const override { return usage_; }

 private:
  struct Call {
    int64_t upstream_index;
    std::string id;
  };

  bool Done() const { return done_ || error_.has_value(); }
  Status Malformed(std::string_view what) const { return internal::Malformed(provider_, what); }

  void OnEvent(const SseEvent& event, std::vector<StreamDelta>* out) {
    if (!status_.ok() || Done() || !event.has_data) return;
    const bool error_event = event.event == "error";
    if (!event.event.empty() && event.event != "message" && !error_event) return;
    if (event.data == "[DONE]") {
      done_ = true;
      return;
    }
    internal::DomLease lease;
    dom::element root;
    if (auto err = lease.Parse(event.data, &root); err != SUCCESS) {
      status_ = Malformed("a stream chunk: " + internal::JsonError(err));
      return;
    }
    dom::element error;
    if (root["error"].get(error) == SUCCESS && !error.is_null()) {
      OnError(error);
    } else if (error_event) {
      OnError(root);
    } else if (!root.is_object()) {
      status_ = Malformed("a stream chunk that is not an object");
    } else {
      status_ = OnChunk(root, out);
    }
  }

  void OnError(dom::element error) {
    internal::ErrorFields fields;
    if (!internal::ReadErrorFields(error, &fields)) fields.message = "an unreadable error event";
    error_ = internal::ErrorFor(provider_, 0, fields);
  }

  void EnsureStart(dom::element chunk, std::vector<StreamDelta>* out) {
    if (started_) return;
    started_ = true;
    StreamDelta d;
    d.kind = Kind::kStart;
    std::string_view s;
    if (chunk["id"].get_string().get(s) == SUCCESS) d.id = std::string(s);
    if (chunk["model"].get_string().get(s) == SUCCESS) d.model = std::string(s);
    out->push_back(std::move(d));
  }

  Status OnChunk(dom::element chunk, std::vector<StreamDelta>* out) {
    dom::array choices;
    dom::object usage;
    const bool has_usage = chunk["usage"].get_object().get(usage) == SUCCESS;
    const bool has_choices =
        chunk["choices"].get_array().get(choices) == SUCCESS && choices.size() > 0;
    // Azure's prompt_filter_results chunk, keep-alive chunks: nothing to say yet.
    if (!has_choices && !has_usage) return Status::Ok();
    EnsureStart(chunk, out);
    if (has_choices) {
      for (dom::element choice : choices) {
        int64_t index = 0;
        if (choice["index"].get_int64().get(index) != SUCCESS) index = 0;
        if (index != 0) continue;  // n > 1 is not in the canonical form
        EDGE_RETURN_IF_ERROR(OnChoice(choice, out));
      }
    }
    if (has_usage) {
      usage_ = internal::ReadDomUsage(usage);
      StreamDelta d;
      d.kind = Kind::kUsage;
      d.usage = usage_;
      out->push_back(std::move(d));
    }
    return Status::Ok();
  }

  Status OnChoice(dom::element choice, std::vector<StreamDelta>* out) {
    dom::object delta;
    if (choice["delta"].get_object().get(delta) == SUCCESS) {
      std::string_view text;
      if (delta["content"].get_string().get(text) == SUCCESS && !text.empty()) {
        Emit(Kind::kText, 0, text, out);
      } else if (delta["refusal"].get_string().get(text) == SUCCESS && !text.empty()) {
        Emit(Kind::kText, 0, text, out);
      }
      dom::array calls;
      if (delta["tool_calls"].get_array().get(calls) == SUCCESS) {
        EDGE_RETURN_IF_ERROR(OnToolCalls(calls, out));
      }
    }
    std::string_view reason;
    if (!finished_ && choice["finish_reason"].get_string().get(reason) == SUCCESS) {
      finished_ = true;
      StreamDelta d;
      d.kind = Kind::kFinish;
      d.finish_reason = NormalizeFinishReason(reason);
      out->push_back(std::move(d));
    }
    return Status::Ok();
  }

  // Our index for a tool-call piece: the call with the same id; for a piece with neither id
  // nor name (OpenAI's argument pieces), the latest call with the same upstream index; -1
  // when the piece starts a new call.
  int FindCall(int64_t upstream_index, std::string_view id, std::string_view name) const {
    if (id.empty() && !name.empty()) return -1;
    for (size_t i = calls_.size(); i-- > 0;) {
      if (id.empty() ? calls_[i].upstream_index == upstream_index : calls_[i].id == id) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }

  // An id for a call the server sent without one (the client needs one to answer it),
  // distinct from the ids the server did send.
  std::string MadeUpId(int index) const {
    std::string id = "call_" + std::to_string(index);
    while (FindCall(0, id, "") >= 0) id += "_";
    return id;
  }

  Status OnToolCalls(dom::array calls, std::vector<StreamDelta>* out) {
    int64_t position = 0;
    for (dom::element item : calls) {
      const int64_t here = position++;
      int64_t upstream_index = 0;
      if (item["index"].get_int64().get(upstream_index) != SUCCESS) upstream_index = here;
      std::string_view id, name, args;
      if (item["id"].get_string().get(id) != SUCCESS) id = "";
      dom::object fn;
      std::string object_args;
      if (item["function"].get_object().get(fn) == SUCCESS) {
        if (fn["name"].get_string().get(name) != SUCCESS) name = "";
        dom::element a;
        if (fn["arguments"].get(a) == SUCCESS && a.get_string().get(args) != SUCCESS &&
            a.is_object()) {
          object_args = simdjson::to_string(a);  // Ollama-style servers send the object
          args = object_args;
        }
      }
      int ours = FindCall(upstream_index, id, name);
      if (ours < 0) {
        if (calls_.size() >= kMaxStreamToolCalls) return Malformed("too many tool calls");
        ours = static_cast<int>(calls_.size());
        calls_.push_back({upstream_index, id.empty() ? MadeUpId(ours) : std::string(id)});
        StreamDelta d;
        d.kind = Kind::kToolCallStart;
        d.index = ours;
        d.tool_id = calls_.back().id;
        d.tool_name = std::string(name);
        out->push_back(std::move(d));
      }
      if (!args.empty()) Emit(Kind::kToolCallArgs, ours, args, out);
    }
    return Status::Ok();
  }

  static void Emit(Kind kind, int index, std::string_view text, std::vector<StreamDelta>* out) {
    StreamDelta d;
    d.kind = kind;
    d.index = index;
    d.text = std::string(text);
    out->push_back(std::move(d));
  }

  std::string provider_;
  SseFramer framer_;
  Status status_;
  std::optional<ProviderError> error_;
  Usage usage_;
  std::vector<Call> calls_;
  bool started_ = false;
  bool finished_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewChatChunkDecoder(std::string_view provider) {
  return std::make_unique<ChunkDecoder>(provider);
}

}  // namespace edge::providers::openai
