#pragma once

// An HTTP/1.1 response parser on llhttp, for the upstream client: one response at a time
// (no pipelining), 1xx interim responses skipped, bodies handed out de-chunked and uncopied.
//
// The verdict and the response never depend on how the bytes were cut into reads: the same
// bytes fed whole, in pieces or byte by byte give the same status, fields, body, keep-alive
// and error message. (The size limits are why this needs care: see Feed() in the .cc.)
//
// Internal to node/net.

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/net/http_types.h"

namespace edge::net {

struct ResponseLimits {
  // Each head (every interim one and the final one) from its status line's first byte to
  // the blank line's LF, both included (blank lines before it do not count); the trailer
  // section of a chunked body, apart, from after the last chunk's size line to its end.
  // A response over either is malformed.
  size_t max_head_bytes = 256 * 1024;
  // Field lines in one head; and, apart, in the trailer section.
  size_t max_header_fields = 1000;
};

class ResponseParser {
 public:
  // Receives the parts of the final (non-1xx) response. Returning false stops parsing at
  // once: the owner is abandoning the connection and the rest of the input is ignored.
  class Listener {
   public:
    virtual ~Listener() = default;
    // The final response's status and fields (trailer fields are not reported).
    virtual bool OnHead(int status, const HeaderList& headers) = 0;
    // Body bytes, pointing into the buffer given to Feed(); valid only during the call. How
    // the body is cut into calls depends on the reads; the bytes do not.
    virtual bool OnBody(std::string_view data) = 0;
    // The body's last bytes, when they came in the same Feed() as the response's end (the
    // parser holds back each Feed's last body bytes until it knows): a proxy can send them
    // with its own end, in one write.
    virtual bool OnLastBody(std::string_view data) { return OnBody(data); }
  };

  static constexpr size_t kMaxHeaderBytes = ResponseLimits{}.max_head_bytes;
  static constexpr size_t kMaxHeaderFields = ResponseLimits{}.max_header_fields;

  explicit ResponseParser(ResponseLimits limits = {});
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Prepares for the response to a new request. A response to HEAD has no body whatever
  // its Content-Length says, so the parser must know.
  void Reset(Listener* listener, bool head_request);

  // Parses bytes from the connection. A non-ok Status (code kUnavailable) carries the
  // reason for malformed input (llhttp's, or a limit's); the connection must not be reused.
  // Bytes after the end of the response are not parsed; they make the connection unfit for
  // reuse.
  Status Feed(std::string_view data);
  // The peer closed the connection: completes a close-delimited body. Non-ok when the
  // response was cut short (or never started).
  Status Finish();

  // The final response has ended (the listener heard its head and whole body).
  bool complete() const { return complete_; }
  // The listener returned false; nothing more is parsed.
  bool stopped() const { return stopped_; }
  // Valid once complete(): the response allows another request on this connection
  // (HTTP keep-alive rules, ended by its own framing, nothing sent after it).
  bool keep_alive() const { return keep_alive_; }
  // Whether the final response's head has been delivered.
  bool head_done() const { return head_done_; }

 private:
  static const llhttp_settings_t* Settings();
  static int OnMessageBegin(llhttp_t* p);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnChunkHeader(llhttp_t* p);
  static int OnBodyData(llhttp_t* p, const char* at, size_t len);
  static int OnMessageComplete(llhttp_t* p);
  static ResponseParser* Self(llhttp_t* p) { return static_cast<ResponseParser*>(p->data); }
  int Fail(const char* reason);
  Status Broken(std::string reason);
  Status ErrorStatus() const;
  Status FeedSome(std::string_view data);
  // Hands the held-back body bytes to the listener (OnBody), if any.
  bool DeliverHeldBody();
  // A head or the trailer section is being read: the bytes that are capped.
  bool InCappedSection() const { return (started_ && !headers_complete_) || trailers_; }

  llhttp_t parser_;
  ResponseLimits limits_;
  Listener* listener_ = nullptr;
  HeaderList headers_;
  std::string field_;
  std::string value_;
  std::string_view held_body_;  // this Feed's latest body bytes, not yet delivered
  uint64_t section_bytes_ = 0;  // bytes of the head (or of the trailers) fed to llhttp so far
  size_t trailer_fields_ = 0;
  bool head_request_ = false;
  bool started_ = false;           // a message (interim or final) has begun
  bool headers_complete_ = false;  // ... and its head has ended
  bool trailers_ = false;          // the last chunk's size line has been read
  bool head_done_ = false;
  bool complete_ = false;
  bool keep_alive_ = false;
  bool stopped_ = false;
  bool broken_ = false;  // an error was returned; llhttp keeps returning it
  std::string error_;    // reason of the first error
};

}  // namespace edge::net
