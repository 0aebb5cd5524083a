#include "providers/openai/responses_passthrough.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "providers/openai/openai.h"

namespace edge::providers::openai {
namespace {

// The event type: the SSE `event:` field, else the data's "type" member.
std::string_view EventType(const SseEvent& event, simdjson::dom::element root) {
  if (!event.event.empty()) return event.event;
  std::string_view type;
  if (root["type"].get_string().get(type) != simdjson::SUCCESS) return {};
  return type;
}

}  // namespace

void ResponsesPassthrough::Feed(std::string_view bytes, std::string* out) {
  framer_.Feed(bytes, [&](const SseEvent& e) { OnEvent(e, out); });
}

void ResponsesPassthrough::Finish(std::string* out) {
  framer_.Finish([&](const SseEvent& e) { OnEvent(e, out); });
}

void ResponsesPassthrough::OnEvent(const SseEvent& event, std::string* out) {
  out->append(event.raw);
  if (event.data.empty()) return;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(event.data.data(), event.data.size()).get(root) != simdjson::SUCCESS) return;
  std::string_view type = EventType(event, root);
  if (type.ends_with(".delta")) {
    std::string_view delta;
    if (root["delta"].get_string().get(delta) == simdjson::SUCCESS) output_chars_ += delta.size();
  }
  if (type == "response.output_item.added" || type == "response.output_text.delta") {
    content_started_ = true;
  } else if (type == "response.completed" || type == "response.incomplete") {
    done_ = true;
    simdjson::dom::element usage;
    if (root["response"]["usage"].get(usage) == simdjson::SUCCESS) {
      usage_ = ExtractUsage(simdjson::to_string(root["response"]));
    }
  } else if (type == "error" || type == "response.failed") {
    ProviderError err;
    err.status = 502;
    err.retryable = true;
    std::string_view message;
    if (root["message"].get_string().get(message) == simdjson::SUCCESS ||
        root["response"]["error"]["message"].get_string().get(message) == simdjson::SUCCESS) {
      err.message = std::string(message);
    }
    err.type = std::string(type);
    error_ = err;
  }
}

std::string ResponsesStreamErrorEvent(std::string_view message) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("type");
  w.String("error");
  w.Key("code");
  w.String("upstream_stream_broken");
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("param");
  w.Null();
  w.EndObject();
  return "event: error\ndata: " + std::string(sb.GetString(), sb.GetSize()) + "\n\n";
}

}  // namespace edge::providers::openai
