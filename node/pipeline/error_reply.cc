#include "node/pipeline/error_reply.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "node/pipeline/edge_headers.h"

namespace edge::pipeline {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kPayloadTooLarge: return 413;
    case Code::kHeadersTooLarge: return 431;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 502;
    case Code::kDeadlineExceeded: return 504;
    case Code::kCancelled: return 499;
    case Code::kFailedPrecondition: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

namespace {

std::string_view TypeFor(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

}  // namespace

std::string OpenAiErrorBody(int http_status, std::string_view message, std::string_view code) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&w](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  str(message);
  w.Key("type");
  str(TypeFor(http_status));
  w.Key("code");
  if (code.empty()) {
    w.Null();
  } else {
    str(code);
  }
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

void ReplyError(RequestContext& ctx, const Status& status, std::string_view error_code,
                std::string_view retry_after) {
  ctx.outcome = status;
  if (ctx.exchange == nullptr) return;
  int http = HttpStatusFor(status.code());
  ctx.reply_status = http;
  net::HeaderList& headers = ReplyHeaders();
  headers.Add("Content-Type", "application/json");
  if (!retry_after.empty()) headers.Add("Retry-After", retry_after);
  AddEdgeHeaders(ctx, headers, /*success=*/false);
  ctx.exchange->Reply(http, headers,
                      ctx.api == Api::kMessages
                          ? ctx.client_api->ErrorBody(http, status.message(), error_code)
                          : OpenAiErrorBody(http, status.message(), error_code));
  ctx.exchange = nullptr;
}

}  // namespace edge::pipeline
