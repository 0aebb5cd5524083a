#include "providers/anthropic/internal.h"

#include <cassert>
#include <cstring>

namespace edge::providers::anthropic::internal {
namespace {

// Above this, parser buffers and scratch are given back after use rather than kept.
constexpr size_t kKeepBytes = 1 << 20;

struct ThreadState {
  simdjson::dom::parser dom;
  simdjson::ondemand::parser ondemand;
  std::string scratch;
  size_t length = 0;
  bool leased = false;
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

int64_t NonNegative(simdjson::dom::element v) {
  int64_t n = 0;
  if (v.get_int64().get(n) != simdjson::SUCCESS) return 0;
  return ClampTokens(n);
}

}  // namespace

JsonLease::JsonLease() {
  assert(!State().leased && "nested JSON lease on one thread");
  State().leased = true;
}

JsonLease::~JsonLease() {
  ThreadState& st = State();
  st.leased = false;
  if (st.scratch.capacity() > kKeepBytes) std::string().swap(st.scratch);
  if (st.dom.capacity() > kKeepBytes) st.dom = simdjson::dom::parser();
  if (st.ondemand.capacity() > kKeepBytes) st.ondemand = simdjson::ondemand::parser();
}

void JsonLease::Load(std::string_view json) {
  ThreadState& st = State();
  st.scratch.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(st.scratch.data(), json.data(), json.size());
  // simdjson may look into the padding while reading atoms: stale bytes of an earlier
  // document there could complete a truncated `tru` into `true`. Zeros never do.
  std::memset(st.scratch.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  st.length = json.size();
}

simdjson::error_code JsonLease::Dom(simdjson::dom::element* root) {
  ThreadState& st = State();
  return st.dom.parse(st.scratch.data(), st.length, false).get(*root);
}

simdjson::error_code JsonLease::Iterate(simdjson::ondemand::document* doc) {
  ThreadState& st = State();
  return st.ondemand
      .iterate(simdjson::padded_string_view(st.scratch.data(), st.length, st.scratch.size()))
      .get(*doc);
}

const char* JsonLease::scratch_begin() const { return State().scratch.data(); }

void MergeUsage(simdjson::dom::object usage, UsageCounts* counts) {
  for (auto [key, value] : usage) {
    // message_delta may carry the input counts as null: nothing new, keep message_start's.
    if (value.is_null()) continue;
    if (key == "input_tokens") {
      counts->input = NonNegative(value);
      counts->seen = true;
    } else if (key == "output_tokens") {
      counts->output = NonNegative(value);
      counts->seen = true;
    } else if (key == "cache_creation_input_tokens") {
      counts->cache_creation = NonNegative(value);
    } else if (key == "cache_read_input_tokens") {
      counts->cache_read = NonNegative(value);
    }
  }
}

std::string_view FinishReason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") {
    return "length";
  }
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn, and whatever comes next
}

ProviderError ErrorForType(std::string_view type, std::string_view message, int http_status) {
  ProviderError e;
  e.type = std::string(type);
  e.message = std::string(message);
  const int s = http_status;
  if (s == 429 || type == "rate_limit_error") {
    e.status = 429;
    e.retryable = true;
  } else if (s == 529 || s == 503 || type == "overloaded_error") {
    e.status = 503;
    e.retryable = true;
  } else if (s == 504 || s == 408 || type == "timeout_error") {
    e.status = 504;
    e.retryable = true;
  } else if (s >= 500 || type == "api_error") {
    e.status = 502;
    e.retryable = true;
  } else if (s == 401 || s == 402 || s == 403 || s == 404 || type == "authentication_error" ||
             type == "permission_error" || type == "billing_error" || type == "not_found_error") {
    // The deployment's key, account or model id is wrong: the caller's request is fine and
    // must not see a 401/404 that reads as its own key or alias being bad.
    e.status = 502;
    e.message = "anthropic rejected the deployment: " + e.message;
  } else if (s >= 400 && s < 500) {
    e.status = s;  // about the request itself (400, 413, 422): the client should see it
  } else if (type == "invalid_request_error") {
    e.status = 400;
  } else if (type == "request_too_large") {
    e.status = 413;
  } else {
    e.status = 502;
  }
  return e;
}

bool ReadErrorBody(simdjson::dom::element root, std::string* type, std::string* message) {
  simdjson::dom::object error;
  if (root["error"].get_object().get(error) != simdjson::SUCCESS) return false;
  std::string_view t, m;
  if (error["type"].get_string().get(t) != simdjson::SUCCESS) return false;
  if (error["message"].get_string().get(m) != simdjson::SUCCESS) m = "";
  *type = std::string(t);
  *message = std::string(m);
  return true;
}

}  // namespace edge::providers::anthropic::internal
