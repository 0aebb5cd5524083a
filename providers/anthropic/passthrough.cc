#include "providers/anthropic/passthrough.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <vector>

#include "providers/anthropic/internal.h"
#include "providers/json_text.h"

namespace edge::providers::anthropic {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

// The events whose JSON the relay reads; content deltas, the bulk, are never parsed.
bool WorthReading(std::string_view name) {
  return name.empty() || name == "message_start" || name == "message_delta" || name == "error";
}

}  // namespace

Result<std::string> RewriteModel(std::string_view messages_body, std::string_view model) {
  internal::JsonLease lease;
  lease.Load(messages_body);
  dom::element root;
  if (auto err = lease.Dom(&root); err != SUCCESS) {
    return InvalidArgument("request body: " + internal::JsonError(err));
  }
  if (!root.is_object()) return InvalidArgument("request body must be a JSON object");
  // The DOM validated the document; On-Demand now finds the byte positions of the values.
  ondemand::document doc;
  ondemand::object obj;
  if (lease.Iterate(&doc) != SUCCESS || doc.get_object().get(obj) != SUCCESS) {
    return InvalidArgument("request body must be a JSON object");
  }
  const char* base = lease.scratch_begin();
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) of each "model" value
  for (auto field_result : obj) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != SUCCESS ||
        field.unescaped_key().get(key) != SUCCESS) {
      return InvalidArgument("request body is not a valid JSON object");
    }
    if (key != "model") continue;
    const std::string_view token = TrimToken(field.value().raw_json_token());
    if (token.empty() || token.front() != '"') return InvalidArgument("'model' must be a string");
    const size_t at = static_cast<size_t>(token.data() - base);
    spans.emplace_back(at, at + token.size());
  }
  if (spans.empty()) return InvalidArgument("missing required parameter: 'model'");
  const std::string replacement = JsonString(model);
  std::string out;
  out.reserve(messages_body.size() + replacement.size());
  size_t pos = 0;
  for (const auto& [begin, end] : spans) {  // in document order
    out.append(messages_body.substr(pos, begin - pos));
    out.append(replacement);
    pos = end;
  }
  out.append(messages_body.substr(pos));
  return out;
}

std::optional<Usage> ExtractUsage(std::string_view messages_response_body) {
  internal::JsonLease lease;
  lease.Load(messages_response_body);
  dom::element root;
  dom::object usage;
  if (lease.Dom(&root) != SUCCESS || root["usage"].get_object().get(usage) != SUCCESS) {
    return std::nullopt;
  }
  UsageCounts counts;
  internal::MergeUsage(usage, &counts);
  return counts.ToUsage();
}

namespace {

// The characters a content_block_delta adds: text_delta's text, input_json_delta's
// partial_json, thinking_delta's thinking.
size_t DeltaChars(dom::element root) {
  dom::object delta;
  if (root["delta"].get_object().get(delta) != SUCCESS) return 0;
  for (std::string_view key : {"text", "partial_json", "thinking"}) {
    std::string_view piece;
    if (delta[key].get_string().get(piece) == SUCCESS) return piece.size();
  }
  return 0;
}

size_t DeltaChars(std::string_view data) {
  internal::JsonLease lease;
  lease.Load(data);
  dom::element root;
  if (lease.Dom(&root) != SUCCESS) return 0;
  return DeltaChars(root);
}

}  // namespace

void PassthroughStream::Feed(std::string_view upstream_bytes, std::string* out) {
  framer_.Feed(upstream_bytes, [this, out](const SseEvent& event) { OnEvent(event, out); });
}

void PassthroughStream::Finish(std::string* out) {
  framer_.Finish([this, out](const SseEvent& event) { OnEvent(event, out); });
}

void PassthroughStream::OnEvent(const SseEvent& event, std::string* out) {
  out->append(event.raw);
  if (!event.has_data) return;
  if (event.event == "message_stop") {
    saw_stop_ = true;
  } else if (event.event == "content_block_start") {
    content_started_ = true;
  } else if (event.event == "content_block_delta") {
    content_started_ = true;
    output_chars_ += DeltaChars(event.data);
  } else if (WorthReading(event.event)) {
    Inspect(event.event, event.data);
  }
}

// Reads usage and errors; what cannot be read is forwarded all the same (the client gets
// the provider's bytes, whatever they are) and simply not counted.
void PassthroughStream::Inspect(std::string_view name, std::string_view data) {
  internal::JsonLease lease;
  lease.Load(data);
  dom::element root;
  if (lease.Dom(&root) != SUCCESS) return;
  std::string_view type = name;
  if (root["type"].get_string().get(type) != SUCCESS && type.empty()) return;
  dom::object usage;
  if (type == "message_start") {
    saw_start_ = true;
    if (root["message"]["usage"].get_object().get(usage) == SUCCESS) {
      internal::MergeUsage(usage, &counts_);
    }
  } else if (type == "message_delta") {
    if (root["usage"].get_object().get(usage) == SUCCESS) internal::MergeUsage(usage, &counts_);
  } else if (type == "error") {
    std::string error_type, message;
    if (internal::ReadErrorBody(root, &error_type, &message)) {
      error_ = internal::ErrorForType(error_type, message, 0);
    }
  } else if (type == "message_stop") {  // events without an `event:` line
    saw_stop_ = true;
  } else if (type == "content_block_start") {
    content_started_ = true;
  } else if (type == "content_block_delta") {
    content_started_ = true;
    output_chars_ += DeltaChars(root);
  }
  usage_ = counts_.ToUsage();
}

std::string StreamErrorEvent(std::string_view type, std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("type");
  w.String("error");
  w.Key("error");
  w.StartObject();
  w.Key("type");
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  w.EndObject();
  return "event: error\ndata: " + std::string(buf.GetString(), buf.GetSize()) + "\n\n";
}

}  // namespace edge::providers::anthropic
