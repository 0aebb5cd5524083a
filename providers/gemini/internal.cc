#include "providers/gemini/internal.h"

#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace edge::providers::gemini::internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

// Above this, parser buffers and scratch are given back after use rather than kept.
constexpr size_t kKeepBytes = 1 << 20;

struct SlotState {
  dom::parser parser;
  std::string scratch;
  bool leased = false;
};

SlotState& State() {
  thread_local SlotState state;
  return state;
}

int64_t NonNegative(dom::object obj, std::string_view key, bool* seen) {
  int64_t n = 0;
  dom::element v;
  if (obj[key].get(v) != SUCCESS) return 0;
  if (seen != nullptr) *seen = true;
  if (v.get_int64().get(n) != SUCCESS) return 0;
  return ClampTokens(n);
}

bool IsFilterReason(std::string_view r) {
  return r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" ||
         r == "SPII" || r == "IMAGE_SAFETY" || r == "IMAGE_PROHIBITED_CONTENT" ||
         r == "IMAGE_RECITATION";
}

Status ReadPart(dom::object part, std::vector<Piece>* pieces) {
  bool thought = false;
  if (part["thought"].get_bool().get(thought) == SUCCESS && thought) return Status::Ok();
  std::string_view s;
  dom::object call;
  if (part["text"].get_string().get(s) == SUCCESS) {
    if (!s.empty()) pieces->emplace_back().text = std::string(s);
  } else if (part["functionCall"].get_object().get(call) == SUCCESS) {
    Piece p;
    p.is_call = true;
    if (call["name"].get_string().get(s) != SUCCESS || s.empty()) {
      return Malformed("a functionCall without a name");
    }
    p.name = std::string(s);
    if (call["id"].get_string().get(s) == SUCCESS) p.id = std::string(s);
    if (part["thoughtSignature"].get_string().get(s) == SUCCESS) p.signature = std::string(s);
    dom::object args;
    p.text = call["args"].get_object().get(args) == SUCCESS ? simdjson::to_string(args) : "{}";
    pieces->push_back(std::move(p));
  }
  // inlineData, executableCode, codeExecutionResult: nothing in OpenAI's chat shape.
  return Status::Ok();
}

}  // namespace

JsonLease::JsonLease() {
  assert(!State().leased && "nested JSON lease on one thread");
  State().leased = true;
}

JsonLease::~JsonLease() {
  SlotState& st = State();
  st.leased = false;
  if (st.scratch.capacity() > kKeepBytes) std::string().swap(st.scratch);
  if (st.parser.capacity() > kKeepBytes) st.parser = dom::parser();
}

simdjson::error_code JsonLease::Parse(std::string_view json, dom::element* root) {
  SlotState& st = State();
  st.scratch.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(st.scratch.data(), json.data(), json.size());
  // Stale bytes of an earlier document in the padding could complete a truncated atom.
  std::memset(st.scratch.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return st.parser.parse(st.scratch.data(), json.size(), false).get(*root);
}

void Key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void String(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string ModelPath(std::string_view model) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = model.find('/') == std::string_view::npos ? "models/" : "";
  for (char c : model) {
    const auto u = static_cast<unsigned char>(c);
    // '@' and '=' are legal in a path and kept, so fake-provider switches pass as typed.
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/' || c == '@' || c == '=') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Usage ReadUsageMetadata(dom::object usage) {
  Usage u;
  bool seen = false;
  u.input_tokens = AddTokens(NonNegative(usage, "promptTokenCount", &seen),
                             NonNegative(usage, "toolUsePromptTokenCount", nullptr));
  u.reasoning_tokens = NonNegative(usage, "thoughtsTokenCount", nullptr);
  u.output_tokens =
      AddTokens(NonNegative(usage, "candidatesTokenCount", &seen), u.reasoning_tokens);
  u.cached_input_tokens = NonNegative(usage, "cachedContentTokenCount", nullptr);
  u.reported = seen;
  return u;
}

std::string FinishReason(std::string_view reason, bool has_calls) {
  if (reason == "MAX_TOKENS") return "length";
  if (IsFilterReason(reason)) return "content_filter";
  return has_calls ? "tool_calls" : "stop";  // STOP, OTHER, MALFORMED_FUNCTION_CALL, ...
}

Status ReadCandidate(dom::element response, std::vector<Piece>* pieces,
                     std::string* finish_reason) {
  dom::array candidates;
  dom::object candidate;
  std::string_view s;
  if (response["candidates"].get_array().get(candidates) != SUCCESS || candidates.size() == 0) {
    // A prompt refused before generation has promptFeedback and no candidates.
    if (response["promptFeedback"]["blockReason"].get_string().get(s) == SUCCESS) {
      *finish_reason = "SAFETY";
    }
    return Status::Ok();
  }
  if (candidates.at(0).get_object().get(candidate) != SUCCESS) {
    return Malformed("a candidate that is not an object");
  }
  if (candidate["finishReason"].get_string().get(s) == SUCCESS) *finish_reason = std::string(s);
  dom::array parts;
  if (candidate["content"]["parts"].get_array().get(parts) != SUCCESS) {
    return Status::Ok();  // a finish-only candidate (e.g. SAFETY) has no content
  }
  for (dom::element part : parts) {
    dom::object obj;
    if (part.get_object().get(obj) != SUCCESS) return Malformed("a part that is not an object");
    EDGE_RETURN_IF_ERROR(ReadPart(obj, pieces));
  }
  return Status::Ok();
}

ErrorFields ReadError(dom::element error) {
  ErrorFields f;
  std::string_view s;
  if (error["status"].get_string().get(s) == SUCCESS) f.status = std::string(s);
  if (error["message"].get_string().get(s) == SUCCESS) f.message = std::string(s);
  if (error["code"].get_int64().get(f.code) != SUCCESS) f.code = 0;
  dom::array details;
  if (error["details"].get_array().get(details) != SUCCESS) return f;
  for (dom::element d : details) {
    if (d["reason"].get_string().get(s) == SUCCESS && s == "API_KEY_INVALID") f.bad_key = true;
    if (d["retryDelay"].get_string().get(s) == SUCCESS) {
      const double seconds = std::strtod(std::string(s).c_str(), nullptr);  // "37s", "0.5s"
      if (seconds > 0 && seconds < 1e6) {
        f.retry_delay = std::to_string(static_cast<int64_t>(std::ceil(seconds)));
      }
    }
  }
  return f;
}

ProviderError ErrorFor(int http_status, const ErrorFields& f) {
  ProviderError e;
  const std::string_view status = f.status;
  const int s = http_status != 0 ? http_status : static_cast<int>(f.code);
  const bool bad_key = f.bad_key;
  e.type = std::string(status);
  e.message = f.message.empty() ? "gemini answered HTTP " + std::to_string(s) : f.message;
  if (status == "RESOURCE_EXHAUSTED" || s == 429) {
    e.status = 429;
    e.retryable = true;
  } else if (status == "UNAVAILABLE" || s == 503) {
    e.status = 503;
    e.retryable = true;
  } else if (status == "DEADLINE_EXCEEDED" || s == 504 || s == 408) {
    e.status = 504;
    e.retryable = true;
  } else if (bad_key || status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED" ||
             status == "NOT_FOUND" || status == "FAILED_PRECONDITION" || s == 401 || s == 403 ||
             s == 404) {
    // The deployment's key, project, region or model is wrong (an invalid key is a 400
    // INVALID_ARGUMENT with reason API_KEY_INVALID): not the caller's fault, not its 4xx.
    e.status = 502;
    e.message = "gemini rejected the deployment: " + e.message;
  } else if (status == "INVALID_ARGUMENT" || status == "OUT_OF_RANGE") {
    e.status = s >= 400 && s < 500 ? s : 400;  // about the request itself
  } else if (s >= 400 && s < 500) {
    e.status = s;
  } else {
    e.status = 502;  // INTERNAL, UNKNOWN, other 5xx, or an error event that names nothing
    e.retryable = true;
  }
  return e;
}

}  // namespace edge::providers::gemini::internal
