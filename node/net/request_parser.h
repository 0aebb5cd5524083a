#pragma once

// The request side of HTTP/1.1 framing: llhttp (strict: no lenient flags) plus the checks
// llhttp 8.1 leaves to its user: header block size and field count (431), body size (413,
// from Content-Length before any body byte and while reading chunks), whitespace inside
// field names and obs-fold line folding (both request-smuggling vectors llhttp's loose
// build accepts), Transfer-Encoding on HTTP/1.0, HTTP versions other than 1.x.
//
// The verdict and the request never depend on how the bytes were cut into reads: the same
// bytes fed whole, in pieces or byte by byte give the same request or the same error.
// (The size limits are why this needs care: see Execute() in the .cc.)
//
// One parser per connection; it parses one request at a time and stops after its last
// byte, so that pipelined requests wait until the current response has ended. Internal to
// node/net (the server and the fuzz target use it).

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "node/net/http_types.h"

namespace edge::net {

struct ParserLimits {
  uint64_t max_body_bytes = 32ull << 20;
  // The head from the request line's first byte to the blank line's LF, both included
  // (leading blank lines do not count); the trailer section of a chunked body, apart.
  uint32_t max_header_bytes = 64 * 1024;
  uint32_t max_header_fields = 256;
};

class RequestParser {
 public:
  enum class Outcome {
    kNeedMore,  // every byte consumed, the request is not complete yet
    kComplete,  // request() is complete; bytes after *consumed belong to the next one
    kError,     // malformed or over a limit: answer error_status() and close
  };

  explicit RequestParser(const ParserLimits& limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Feeds bytes of the current request. After kComplete call Next() before feeding the
  // following request's bytes; after kError the parser is spent.
  Outcome Execute(std::string_view data, size_t* consumed);
  // Starts the next request, keeping buffers (big ones are released).
  void Next();

  HttpRequest& request() { return request_; }
  const HttpRequest& request() const { return request_; }
  // A byte of the current request was seen (leading blank lines do not count).
  bool started() const { return started_; }
  bool headers_complete() const { return headers_complete_; }
  // HTTP/1.1 request with `Expect: 100-continue` whose headers are complete.
  bool expect_continue() const { return expect_continue_; }
  // The request carried Connection: upgrade or was CONNECT: the connection must not be
  // reused after the response (we do not switch protocols).
  bool upgrade() const { return upgrade_; }
  // After kError: 400, 413, 431 or 505, and a short English reason.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

 private:
  friend struct ParserCallbacks;

  int Fail(int status, const char* message);
  bool FoldBefore(const char* at) const;
  int HeadersComplete();
  int CheckTargetAndHost();
  // The head or the trailer section is being read: the bytes that are capped.
  bool InCappedSection() const { return (started_ && !headers_complete_) || trailers_; }
  Outcome LlhttpError(llhttp_errno_t err);
  void RememberTail(std::string_view data);

  llhttp_t parser_;
  ParserLimits limits_;
  HttpRequest request_;
  std::pair<std::string, std::string>* field_ = nullptr;  // the field being filled
  const char* chunk_begin_ = nullptr;                     // start of the data given to Execute
  uint64_t section_bytes_ = 0;  // bytes of the head (or of the trailers) fed to llhttp so far
  uint32_t fields_ = 0;
  bool started_ = false;
  bool headers_complete_ = false;
  bool trailers_ = false;  // the last chunk's size line has been read
  bool complete_ = false;
  bool expect_continue_ = false;
  bool upgrade_ = false;
  bool field_open_ = false;      // a field name is being received
  bool name_has_space_ = false;  // the field name being received holds a blank
  bool folded_ = false;          // the value being received continues an obs-fold line
  bool tail_was_lf_ = false;     // the previous chunk ended in LF (+ optional SP/HTAB)
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace edge::net
