#include "providers/usage_estimate.h"

#include <simdjson.h>

#include <algorithm>

namespace edge::providers {
namespace {

namespace dom = simdjson::dom;

// Members whose string values are not prompt text: names and kinds, media (billed by
// size), ids.
bool NotPromptText(std::string_view key) {
  return key == "model" || key == "role" || key == "type" || key == "id" || key == "url" ||
         key == "data" || key == "image_url" || key == "file_data" || key == "file_id" ||
         key == "media_type" || key == "detail" || key == "tool_call_id" || key == "call_id" ||
         key == "tool_use_id" || key == "previous_response_id" || key == "format";
}

// Chat framing: the role and separators of one message, in OpenAI's accounting.
constexpr int64_t kTokensPerMessage = 4;

struct Counter {
  size_t chars = 0;
  int64_t messages = 0;

  void Walk(dom::element e, int depth) {
    if (depth > 64) return;  // bodies were validated; this only bounds the recursion
    std::string_view text;
    dom::array array;
    dom::object object;
    // Error codes, not exceptions: the element's type decides which read succeeds.
    if (e.get_string().get(text) == simdjson::SUCCESS) {
      chars += text.size();
    } else if (e.get_array().get(array) == simdjson::SUCCESS) {
      for (dom::element child : array) Walk(child, depth + 1);
    } else if (e.get_object().get(object) == simdjson::SUCCESS) {
      for (dom::key_value_pair member : object) {
        if (NotPromptText(member.key)) continue;
        if (member.key == "messages" || member.key == "input" || member.key == "contents") {
          dom::array items;
          if (member.value.get_array().get(items) == simdjson::SUCCESS) {
            messages += static_cast<int64_t>(items.size());
          }
        }
        Walk(member.value, depth + 1);
      }
    }  // numbers, booleans and null are parameters, not text
  }
};

}  // namespace

int64_t EstimateTokens(size_t chars) { return static_cast<int64_t>((chars + 3) / 4); }

namespace {

// Above this, the parser's buffers are given back after use rather than kept (one large body
// must not keep a worker's memory up), as the provider adapters do.
constexpr size_t kKeepParserBytes = 1 << 20;

RequestEstimate Estimate(dom::parser& parser, std::string_view request_body) {
  dom::element root;
  if (parser.parse(request_body.data(), request_body.size()).get(root) != simdjson::SUCCESS) {
    RequestEstimate out;
    out.prompt_tokens = EstimateTokens(request_body.size());
    return out;
  }
  return EstimateParsedRequest(root);
}

}  // namespace

RequestEstimate EstimateParsedRequest(dom::element root) {
  RequestEstimate out;
  Counter counter;
  counter.Walk(root, 0);
  out.prompt_tokens = EstimateTokens(counter.chars) + counter.messages * kTokensPerMessage;
  dom::object object;
  if (root.get_object().get(object) == simdjson::SUCCESS) {
    dom::element limit;
    if (object["max_completion_tokens"].get(limit) == simdjson::SUCCESS ||
        object["max_tokens"].get(limit) == simdjson::SUCCESS) {
      int64_t n = 0;
      if (limit.get_int64().get(n) == simdjson::SUCCESS && n >= 1) out.max_output_tokens = n;
    }
  }
  return out;
}

RequestEstimate EstimateRequest(std::string_view request_body) {
  // One parser per thread, reused: a new one allocates its buffers for every body.
  thread_local dom::parser parser;
  RequestEstimate out = Estimate(parser, request_body);
  if (parser.capacity() > kKeepParserBytes) parser = dom::parser();
  return out;
}

int64_t EstimatePromptTokens(std::string_view request_body) {
  return EstimateRequest(request_body).prompt_tokens;
}

Usage UsageSoFar(const std::optional<Usage>& reported, size_t output_chars,
                 std::string_view request_body) {
  Usage u;
  if (reported) u = *reported;
  if (u.input_tokens == 0) u.input_tokens = EstimatePromptTokens(request_body);
  u.output_tokens = std::max(u.output_tokens, EstimateTokens(output_chars));
  u.reported = false;
  return u;
}

}  // namespace edge::providers
