// Error classification for OpenAI-shaped error bodies (OpenAI, Azure, compatible servers).

#include <simdjson.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>

#include "providers/openai/chat_internal.h"
#include "providers/openai/chat_wire.h"
#include "providers/openai/internal.h"

namespace edge::providers::openai {
namespace internal {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

std::string ScalarText(dom::element v) {
  std::string_view s;
  int64_t n = 0;
  if (v.get_string().get(s) == SUCCESS) return std::string(s);
  if (v.get_int64().get(n) == SUCCESS) return std::to_string(n);
  return "";
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

bool ReadErrorFields(dom::element error, ErrorFields* out) {
  std::string_view s;
  if (error.get_string().get(s) == SUCCESS) {  // Ollama, some proxies: {"error":"..."}
    out->message = std::string(s);
    return true;
  }
  dom::object obj;
  if (error.get_object().get(obj) != SUCCESS) return false;
  dom::element v;
  if (obj["message"].get(v) == SUCCESS) out->message = ScalarText(v);
  if (obj["type"].get(v) == SUCCESS) out->type = ScalarText(v);
  if (obj["code"].get(v) == SUCCESS) out->code = ScalarText(v);
  return true;
}

ProviderError ErrorFor(std::string_view provider, int status, const ErrorFields& f) {
  ProviderError e;
  e.type = f.type.empty() ? f.code : f.type;
  e.message = f.message.empty() ? std::string(provider) + " answered HTTP " + std::to_string(status)
                                : f.message;
  const bool rate_limited =
      Contains(f.code, "rate_limit") || Contains(f.type, "rate_limit") || f.code == "429";
  if (status == 429 || (status == 0 && rate_limited)) {
    e.status = 429;
    e.retryable = true;
  } else if (status == 503 || status == 529 || (status == 0 && Contains(f.type, "overloaded"))) {
    e.status = 503;
    e.retryable = true;
  } else if (status == 408 || status == 504 || (status == 0 && Contains(f.type, "timeout"))) {
    e.status = 504;
    e.retryable = true;
  } else if (status >= 500 || status == 0) {
    // Inside a stream the body is all there is; OpenAI sends server_error there.
    e.status = 502;
    e.retryable = true;
  } else if (status == 401 || status == 403 || status == 404) {
    // The deployment's key, account or model is wrong: the caller's request is fine and must
    // not see a 401/404 that reads as its own key or model alias being bad.
    e.status = 502;
    e.message = std::string(provider) + " rejected the deployment: " + e.message;
  } else if (status >= 400 && status < 500) {
    e.status = status;  // about the request itself (400, 413, 422): the client should see it
  } else {
    e.status = 502;  // a redirect or an informational status where an answer was due
  }
  return e;
}

}  // namespace internal

namespace {

// retry-after-ms in whole seconds, rounded up so that the client does not come back early;
// "" when it is not a number of milliseconds (or absurdly large: over a year).
std::string SecondsFromMilliseconds(std::string_view ms) {
  double v = 0;
  const auto [end, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), v);
  if (ec != std::errc() || end != ms.data() + ms.size() || !(v >= 0 && v <= 3.2e10)) return "";
  return std::to_string(static_cast<int64_t>(std::ceil(v / 1000)));
}

// Azure's 429 messages say "Please retry after 12 seconds.": the seconds, when no header
// said.
std::string RetryAfterFromMessage(std::string_view message) {
  constexpr std::string_view kMark = "retry after ";
  size_t at = message.find(kMark);
  if (at == std::string_view::npos) return "";
  at += kMark.size();
  size_t end = at;
  while (end < message.size() && end - at < 9 &&
         std::isdigit(static_cast<unsigned char>(message[end]))) {
    ++end;
  }
  if (end == at || message.substr(end, 7) != " second") return "";
  return std::string(message.substr(at, end - at));
}

}  // namespace

ProviderError ClassifyHttpError(std::string_view provider, int status, const RetryHeaders& retry,
                                std::string_view body) {
  internal::ErrorFields fields;
  {
    internal::DomLease lease;
    simdjson::dom::element root, v;
    if (lease.Parse(body, &root) == simdjson::SUCCESS) {
      if (root["error"].get(v) == simdjson::SUCCESS) {
        internal::ReadErrorFields(v, &fields);
      } else if (root["detail"].get(v) == simdjson::SUCCESS ||  // vLLM, FastAPI servers
                 root["message"].get(v) == simdjson::SUCCESS) {
        std::string_view s;
        if (v.get_string().get(s) == simdjson::SUCCESS) fields.message = std::string(s);
      }
    }
  }
  ProviderError e = internal::ErrorFor(provider, status, fields);
  if (e.retryable) {
    e.retry_after = SecondsFromMilliseconds(retry.retry_after_ms);
    if (e.retry_after.empty()) e.retry_after = retry.retry_after;
    if (e.retry_after.empty()) e.retry_after = RetryAfterFromMessage(fields.message);
  }
  return e;
}

}  // namespace edge::providers::openai
