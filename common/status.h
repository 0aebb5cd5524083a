#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace edge {

// What went wrong, independent of transport. node/ maps codes to HTTP statuses in one place
// (node/pipeline/error_reply.cc); nothing else should.
enum class Code {
  kOk = 0,
  kInvalidArgument,    // malformed input from a client or a config file
  kUnauthenticated,    // missing or unknown key
  kPermissionDenied,   // known key, not allowed
  kNotFound,           // unknown path, model alias, file
  kPayloadTooLarge,    // body over the limit
  kHeadersTooLarge,    // header block over the limit
  kResourceExhausted,  // rate limit, budget, upstream 429
  kUnavailable,        // upstream could not be reached or refused (5xx, reset, TLS)
  kDeadlineExceeded,   // a timeout
  kCancelled,          // the caller went away
  kFailedPrecondition,
  kInternal,
};

std::string_view CodeName(Code code);

// A code and a message. Cheap to return when ok: no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: message", for logs.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }

}  // namespace edge

// Early return of a non-ok Status.
#define EDGE_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::edge::Status edge_status_ = (expr); \
    if (!edge_status_.ok()) return edge_status_; \
  } while (0)
