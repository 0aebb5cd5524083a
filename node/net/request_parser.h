#pragma once

// The request side of HTTP/1.1 framing: llhttp (strict: no lenient flags) plus the checks
// llhttp 8.1 leaves to its user: header block size and field count (431), body size (413,
// from Content-Length before any body byte and while reading chunks), whitespace inside
// field names and obs-fold line folding (both request-smuggling vectors llhttp's loose
// build accepts), Transfer-Encoding on HTTP/1.0, HTTP versions other than 1.x.
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
  uint32_t max_header_bytes = 64 * 1024;  // request line + fields (and trailers, apart)
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
  int CountTrailer(size_t n);
  bool CheckHeaderBytes(const char* end);
  bool FoldBefore(const char* at) const;
  int HeadersComplete();
  int CheckTargetAndHost();

  llhttp_t parser_;
  ParserLimits limits_;
  HttpRequest request_;
  std::pair<std::string, std::string>* field_ = nullptr;  // the field being filled
  const char* chunk_begin_ = nullptr;                     // start of the data given to Execute
  uint64_t header_bytes_before_ = 0;  // header bytes of this request in earlier chunks
  uint64_t trailer_bytes_ = 0;
  uint32_t fields_ = 0;
  bool started_ = false;
  bool headers_complete_ = false;
  bool complete_ = false;
  bool expect_continue_ = false;
  bool upgrade_ = false;
  bool field_open_ = false;   // a field name is being received
  bool tail_was_lf_ = false;  // the previous chunk ended in LF (+ optional SP/HTAB)
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace edge::net
