#include "providers/openai_params.h"

#include <cstdlib>
#include <string>

namespace edge::providers {

Status ParseCanonicalBody(std::string_view body, JsonTree* tree) {
  if (Status s = tree->Parse(body, kCanonicalJson); !s.ok()) {
    return InvalidArgument("request body " + s.message());
  }
  if (!tree->root().IsObject()) return InvalidArgument("request body must be a JSON object");
  return Status::Ok();
}

std::optional<double> NumberValue(const JsonNode& number) {
  if (!number.IsNumber()) return std::nullopt;
  // strtod rather than from_chars: it says what an out-of-range value is (HUGE_VAL or 0), and
  // the text, checked against JSON's grammar, holds no locale-dependent characters.
  const std::string text(number.text());
  return std::strtod(text.c_str(), nullptr);
}

namespace {

// The refusal for one member, or Ok (see CheckSupported).
Status CheckMember(std::string_view key, const JsonNode& v, const ParamSupport& support) {
  const auto unsupported = [&](std::string_view what) {
    return InvalidArgument(std::string(support.provider) + " does not support " +
                           std::string(what));
  };
  if (key == "n" && v.Int64() != std::optional<int64_t>(1)) return unsupported("'n' > 1");
  if (key == "logprobs" && (!v.IsBool() || v.GetBool())) return unsupported("logprobs");
  if (key == "top_logprobs") return unsupported("top_logprobs");
  if (!support.penalties && (key == "frequency_penalty" || key == "presence_penalty") &&
      NumberValue(v).value_or(1) != 0) {
    return unsupported(key);
  }
  if (key == "logit_bias" && (!v.IsObject() || !v.Empty())) return unsupported("logit_bias");
  if (key == "functions" || key == "function_call") {
    return unsupported("the legacy '" + std::string(key) + "' member; use tools");
  }
  if (key == "audio" || key == "prediction" || key == "web_search_options" ||
      (key == "reasoning_effort" && !support.reasoning_effort)) {
    return unsupported(std::string("'").append(key).append("'"));
  }
  if (key == "modalities") {
    if (!v.IsArray()) return unsupported("these modalities");
    for (const JsonNode& m : v) {
      if (!m.IsString() || m.text() != "text") return unsupported("non-text output");
    }
  }
  return Status::Ok();
}

}  // namespace

ChatParams ReadChatParams(const JsonNode& body) {
  ChatParams p;
  if (!body.IsObject()) return p;
  for (const JsonNode& value : body) {
    if (value.IsNull()) continue;
    const std::string_view key = value.name();
    ChatParams::Member* slot = key == "messages"                ? &p.messages
                                   : key == "max_tokens"            ? &p.max_tokens
                                   : key == "max_completion_tokens" ? &p.max_completion_tokens
                                   : key == "stop"                  ? &p.stop
                                   : key == "temperature"           ? &p.temperature
                                   : key == "top_p"                 ? &p.top_p
                                   : key == "presence_penalty"      ? &p.presence_penalty
                                   : key == "frequency_penalty"     ? &p.frequency_penalty
                                   : key == "seed"                  ? &p.seed
                                   : key == "tools"                 ? &p.tools
                                   : key == "tool_choice"           ? &p.tool_choice
                                   : key == "parallel_tool_calls"   ? &p.parallel_tool_calls
                                   : key == "user"                  ? &p.user
                                   : key == "response_format"       ? &p.response_format
                                   : key == "reasoning_effort"      ? &p.reasoning_effort
                                                                    : nullptr;
    if (slot != nullptr) *slot = &value;
  }
  return p;
}

Status CheckSupported(const JsonNode& body, const ParamSupport& support) {
  for (const JsonNode& value : body) {
    if (value.IsNull()) continue;
    EDGE_RETURN_IF_ERROR(CheckMember(value.name(), value, support));
  }
  return Status::Ok();
}

Result<std::optional<int64_t>> MaxTokens(const ChatParams& params) {
  const bool completion = params.max_completion_tokens != nullptr;
  const JsonNode* v = completion ? params.max_completion_tokens : params.max_tokens;
  if (v == nullptr) return std::optional<int64_t>();
  const std::optional<int64_t> n = v->Int64();
  if (!n || *n < 1) {
    return InvalidArgument(std::string(completion ? "'max_completion_tokens'" : "'max_tokens'") +
                           " must be a positive integer");
  }
  return n;
}

Result<std::vector<std::string_view>> StopSequences(const JsonNode& stop) {
  std::vector<std::string_view> out;
  if (stop.IsString()) {
    out.push_back(stop.text());
    return out;
  }
  if (!stop.IsArray()) return InvalidArgument("'stop' must be a string or an array of strings");
  for (const JsonNode& e : stop) {
    if (!e.IsString()) return InvalidArgument("'stop' must hold strings");
    out.push_back(e.text());
  }
  return out;
}

}  // namespace edge::providers
