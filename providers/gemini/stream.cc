// streamGenerateContent?alt=sse -> StreamDelta.
//
// Every `data:` event is a whole GenerateContentResponse: candidates[0]'s parts are the new
// text (not cumulative), function calls come whole (name and args in one part, so each is a
// kToolCallStart, its id carrying the part's thoughtSignature, and one kToolCallArgs), and
// usageMetadata is CUMULATIVE: each report replaces the last, never adds. There is no end
// marker: a stream is complete when a finishReason (or a prompt block) was seen, and the
// body then ends. An {"error":...} event sets error().

#include <string>
#include <vector>

#include "providers/gemini/internal.h"
#include "providers/sse.h"

namespace edge::providers::gemini::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;
using Kind = StreamDelta::Kind;

class GenerateStreamDecoder final : public StreamDecoder {
 public:
  Status Feed(std::string_view bytes, std::vector<StreamDelta>* out) override {
    if (!status_.ok() || error_) return status_;
    framer_.Feed(bytes, [this, out](const SseEvent& event) { OnEvent(event, out); });
    if (framer_.error() && status_.ok()) status_ = Malformed("an event larger than 8 MiB");
    return status_;
  }

  Status Finish(std::vector<StreamDelta>* out) override {
    if (!status_.ok()) return status_;
    if (!error_) framer_.Finish([this, out](const SseEvent& event) { OnEvent(event, out); });
    if (!status_.ok()) return status_;
    if (error_) return Unavailable("gemini stream error " + error_->type + ": " + error_->message);
    if (!finished_) return Unavailable("gemini stream ended before a finishReason");
    return Status::Ok();
  }

  const std::optional<ProviderError>& error() const override { return error_; }
  const Usage& usage() const override { return usage_; }

 private:
  void OnEvent(const SseEvent& event, std::vector<StreamDelta>* out) {
    if (!status_.ok() || error_ || !event.has_data) return;
    if (!event.event.empty() && event.event != "message") return;
    JsonLease lease;
    dom::element root;
    if (auto err = lease.Parse(event.data, &root); err != SUCCESS) {
      status_ = Malformed("a stream chunk: " + JsonError(err));
      return;
    }
    if (!root.is_object()) {
      status_ = Malformed("a stream chunk that is not an object");
      return;
    }
    dom::element error;
    if (root["error"].get(error) == SUCCESS && error.is_object()) {
      error_ = ErrorFor(0, ReadError(error));
      return;
    }
    status_ = OnChunk(root, out);
  }

  Status OnChunk(dom::element chunk, std::vector<StreamDelta>* out) {
    std::vector<Piece> pieces;
    std::string reason;
    EDGE_RETURN_IF_ERROR(ReadCandidate(chunk, &pieces, &reason));
    if (!started_) {
      started_ = true;
      StreamDelta d;
      d.kind = Kind::kStart;
      std::string_view s;
      if (chunk["responseId"].get_string().get(s) == SUCCESS) d.id = std::string(s);
      if (chunk["modelVersion"].get_string().get(s) == SUCCESS) d.model = std::string(s);
      out->push_back(std::move(d));
    }
    for (Piece& p : pieces) {
      if (!p.is_call) {
        Emit(Kind::kText, 0, std::move(p.text), out);
        continue;
      }
      const int index = calls_++;
      StreamDelta d;
      d.kind = Kind::kToolCallStart;
      d.index = index;
      d.tool_id = ToolCallId(p, index);  // with the call's thoughtSignature, if it has one
      d.tool_name = std::move(p.name);
      out->push_back(std::move(d));
      Emit(Kind::kToolCallArgs, index, std::move(p.text), out);
    }
    if (!reason.empty() && !finished_) {
      finished_ = true;
      StreamDelta d;
      d.kind = Kind::kFinish;
      d.finish_reason = FinishReason(reason, calls_ > 0);
      out->push_back(std::move(d));
    }
    dom::object usage;
    if (chunk["usageMetadata"].get_object().get(usage) == SUCCESS) {
      const Usage u = ReadUsageMetadata(usage);
      if (u.reported) {
        const bool changed = !usage_.reported || u.input_tokens != usage_.input_tokens ||
                             u.output_tokens != usage_.output_tokens ||
                             u.cached_input_tokens != usage_.cached_input_tokens;
        usage_ = u;  // cumulative: the latest report is the total so far
        if (changed) {
          StreamDelta d;
          d.kind = Kind::kUsage;
          d.usage = u;
          out->push_back(std::move(d));
        }
      }
    }
    return Status::Ok();
  }

  static void Emit(Kind kind, int index, std::string text, std::vector<StreamDelta>* out) {
    StreamDelta d;
    d.kind = kind;
    d.index = index;
    d.text = std::move(text);
    out->push_back(std::move(d));
  }

  SseFramer framer_;
  Status status_;
  std::optional<ProviderError> error_;
  Usage usage_;
  int calls_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewGenerateStreamDecoder() {
  return std::make_unique<GenerateStreamDecoder>();
}

}  // namespace edge::providers::gemini::internal
