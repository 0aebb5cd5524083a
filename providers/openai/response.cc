// chat.completion -> ChatResponse, and the DOM helpers the chat decoders share.

#include <simdjson.h>

#include <string>

#include "providers/openai/chat_internal.h"
#include "providers/openai/chat_wire.h"
#include "providers/openai/internal.h"

namespace edge::providers::openai {
namespace internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

int64_t NonNegative(dom::element v) {
  int64_t n = 0;
  if (v.get_int64().get(n) != SUCCESS) return 0;
  return ClampTokens(n);
}

}  // namespace

Usage ReadDomUsage(dom::object usage) {
  Usage u;
  for (auto [key, value] : usage) {
    if (key == "prompt_tokens") {
      u.input_tokens = NonNegative(value);
      u.reported = true;
    } else if (key == "completion_tokens") {
      u.output_tokens = NonNegative(value);
      u.reported = true;
    } else if (key == "prompt_tokens_details") {
      dom::element cached;
      if (value["cached_tokens"].get(cached) == SUCCESS) {
        u.cached_input_tokens = NonNegative(cached);
      }
    }
  }
  return u;
}

}  // namespace internal

namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

// message.content: a string, null, or (some compatible servers) an array of text parts.
void AppendContent(dom::element content, std::string* out) {
  std::string_view s;
  if (content.get_string().get(s) == SUCCESS) {
    out->append(s);
    return;
  }
  dom::array parts;
  if (content.get_array().get(parts) != SUCCESS) return;
  for (dom::element part : parts) {
    if (part["text"].get_string().get(s) == SUCCESS) out->append(s);
  }
}

Status ReadToolCalls(std::string_view provider, dom::array calls, ChatResponse* r) {
  for (dom::element call : calls) {
    dom::object fn;
    std::string_view id, name, args;
    if (call["function"].get_object().get(fn) != SUCCESS ||
        fn["name"].get_string().get(name) != SUCCESS) {
      return internal::Malformed(provider, "a tool call without function.name");
    }
    ToolCall tc;
    if (call["id"].get_string().get(id) == SUCCESS && !id.empty()) {
      tc.id = std::string(id);
    } else {  // some compatible servers leave it out; the client needs one to answer
      tc.id = "call_" + std::to_string(r->tool_calls.size());
    }
    tc.name = std::string(name);
    dom::element a;
    if (fn["arguments"].get(a) == SUCCESS) {
      if (a.get_string().get(args) == SUCCESS) {
        tc.arguments = std::string(args);
      } else if (a.is_object()) {  // Ollama-style servers send the object itself
        tc.arguments = simdjson::to_string(a);
      }
    }
    if (tc.arguments.empty()) tc.arguments = "{}";
    r->tool_calls.push_back(std::move(tc));
  }
  return Status::Ok();
}

// Choice 0: the one whose index is 0, else the first (n > 1 is not in the canonical form).
bool FirstChoice(dom::array choices, dom::object* choice) {
  bool found = false;
  for (dom::element c : choices) {
    int64_t index = 0;
    if (c["index"].get_int64().get(index) != SUCCESS) index = 0;
    if (!found || index == 0) {
      if (c.get_object().get(*choice) != SUCCESS) return false;
      found = true;
      if (index == 0) return true;
    }
  }
  return found;
}

}  // namespace

std::string NormalizeFinishReason(std::string_view reason) {
  if (reason == "length" || reason == "tool_calls" || reason == "content_filter") {
    return std::string(reason);
  }
  if (reason == "function_call") return "tool_calls";
  return "stop";
}

Result<ChatResponse> ParseChatCompletion(std::string_view body, std::string_view provider) {
  internal::DomLease lease;
  dom::element root;
  if (auto err = lease.Parse(body, &root); err != SUCCESS) {
    return internal::Malformed(provider, internal::JsonError(err));
  }
  dom::element v;
  if (root["error"].get(v) == SUCCESS && !v.is_null()) {
    internal::ErrorFields f;
    internal::ReadErrorFields(v, &f);
    return Unavailable(std::string(provider) + " error: " + f.message);
  }
  dom::array choices;
  dom::object choice, message;
  if (root["choices"].get_array().get(choices) != SUCCESS || !FirstChoice(choices, &choice)) {
    return internal::Malformed(provider, "a chat completion without choices");
  }
  if (choice["message"].get_object().get(message) != SUCCESS) {
    return internal::Malformed(provider, "a choice without a message");
  }
  ChatResponse r;
  std::string_view s;
  if (root["id"].get_string().get(s) == SUCCESS) r.id = std::string(s);
  if (root["model"].get_string().get(s) == SUCCESS) r.model = std::string(s);
  if (root["created"].get_int64().get(r.created) != SUCCESS) r.created = 0;
  if (message["content"].get(v) == SUCCESS) AppendContent(v, &r.text);
  if (r.text.empty() && message["refusal"].get_string().get(s) == SUCCESS) r.text = s;
  dom::array calls;
  if (message["tool_calls"].get_array().get(calls) == SUCCESS) {
    EDGE_RETURN_IF_ERROR(ReadToolCalls(provider, calls, &r));
  }
  s = "";
  if (choice["finish_reason"].get_string().get(s) != SUCCESS) s = "";
  r.finish_reason = NormalizeFinishReason(s);
  dom::object usage;
  if (root["usage"].get_object().get(usage) == SUCCESS) r.usage = internal::ReadDomUsage(usage);
  return r;
}

}  // namespace edge::providers::openai
