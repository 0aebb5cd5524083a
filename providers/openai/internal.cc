#include "providers/openai/internal.h"

#include <cassert>
#include <cstring>

namespace edge::providers::openai::internal {
namespace {

// Above this, parser buffers and scratch are given back after use rather than kept.
constexpr size_t kKeepBytes = 1 << 20;

struct ThreadState {
  simdjson::ondemand::parser ondemand;
  simdjson::dom::parser dom;
  std::string scratch;
  bool leased = false;
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

// Copies json into the scratch with the padding simdjson needs; returns the padded view.
simdjson::padded_string_view CopyPadded(std::string_view json) {
  std::string& s = State().scratch;
  s.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(s.data(), json.data(), json.size());
  // simdjson reads atoms in place and may look into the padding: stale bytes of an earlier
  // document there could complete a truncated `nu` into `null`. Zeros never do.
  std::memset(s.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(s.data(), json.size(), s.size());
}

void Release(ThreadState& st) {
  st.leased = false;
  if (st.scratch.capacity() > kKeepBytes) std::string().swap(st.scratch);
  if (st.ondemand.capacity() > kKeepBytes) st.ondemand = simdjson::ondemand::parser();
  if (st.dom.capacity() > kKeepBytes) st.dom = simdjson::dom::parser();
}

int64_t NonNegative(simdjson::ondemand::value v) {
  int64_t n = 0;
  if (v.get_int64().get(n) != simdjson::SUCCESS) return 0;
  return ClampTokens(n);
}

// One count of a *_tokens_details object: cached_tokens, reasoning_tokens.
int64_t DetailTokens(simdjson::ondemand::value details, std::string_view name) {
  simdjson::ondemand::object obj;
  if (details.get_object().get(obj) != simdjson::SUCCESS) return 0;  // null or absent
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return 0;
    }
    if (key == name) return NonNegative(field.value());
  }
  return 0;
}

}  // namespace

OnDemandLease::OnDemandLease() {
  assert(!State().leased && "nested JSON lease on one thread");
  State().leased = true;
}

OnDemandLease::~OnDemandLease() { Release(State()); }

simdjson::error_code OnDemandLease::Iterate(std::string_view json,
                                            simdjson::ondemand::document* doc) {
  return State().ondemand.iterate(CopyPadded(json)).get(*doc);
}

const char* OnDemandLease::scratch_begin() const { return State().scratch.data(); }

DomLease::DomLease() {
  assert(!State().leased && "nested JSON lease on one thread");
  State().leased = true;
}

DomLease::~DomLease() { Release(State()); }

simdjson::error_code DomLease::Parse(std::string_view json, simdjson::dom::element* root) {
  simdjson::padded_string_view padded = CopyPadded(json);
  return State().dom.parse(padded.data(), padded.length(), false).get(*root);
}

Usage ReadUsage(simdjson::ondemand::object usage) {
  Usage u;
  bool seen = false;
  for (auto field_result : usage) {
    simdjson::ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      break;  // a broken document: keep what was read
    }
    if (key == "prompt_tokens" || key == "input_tokens") {
      u.input_tokens = NonNegative(field.value());
      seen = true;
    } else if (key == "completion_tokens" || key == "output_tokens") {
      u.output_tokens = NonNegative(field.value());
      seen = true;
    } else if (key == "prompt_tokens_details" || key == "input_tokens_details") {
      u.cached_input_tokens = DetailTokens(field.value(), "cached_tokens");
    } else if (key == "completion_tokens_details" || key == "output_tokens_details") {
      u.reasoning_tokens = DetailTokens(field.value(), "reasoning_tokens");
    }
  }
  u.reported = seen;
  return u;
}

}  // namespace edge::providers::openai::internal
