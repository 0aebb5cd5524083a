#include "node/net/request_parser.h"

#include <algorithm>
#include <cstring>

#include "common/event_clock.h"

namespace edge::net {

namespace {

// Request buffers that grew past this for one big request are released afterwards.
constexpr size_t kKeepBodyCapacity = 64 * 1024;
// The most reserved for a body on its Content-Length alone, before its bytes arrive.
constexpr uint64_t kReserveBodyBytes = 1 << 20;

int64_t NowMicros() { return event_clock::MonotonicMicros(); }

bool HasWhitespace(const char* at, size_t n) {
  return std::memchr(at, ' ', n) != nullptr || std::memchr(at, '\t', n) != nullptr;
}

}  // namespace

// llhttp's C callbacks. Data callbacks may come in pieces when a token spans two reads, so
// they only append; every decision is taken at a point that does not depend on where the
// reads were cut (a complete callback, or a byte position: see Execute()).
struct ParserCallbacks {
  static RequestParser* Self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

  static int OnMessageBegin(llhttp_t* p) {
    RequestParser* self = Self(p);
    self->started_ = true;
    self->request_.started_us = NowMicros();
    return HPE_PAUSED;  // Execute() learns where the head begins and caps it from there
  }
  static int OnUrl(llhttp_t* p, const char* at, size_t n) {
    Self(p)->request_.target.append(at, n);
    return 0;
  }
  static int OnHeaderField(llhttp_t* p, const char* at, size_t n) {
    RequestParser* self = Self(p);
    // llhttp's loose build accepts "Name : value" and would hand us "Name " as the name.
    // Refused where the name ends, not in the piece a read's end handed over: a malformed
    // byte later in the name is then llhttp's error in every split.
    if (HasWhitespace(at, n)) self->name_has_space_ = true;
    if (self->headers_complete_) return 0;  // a trailer field: dropped
    if (!self->field_open_) {
      self->field_ = &self->request_.headers.AddEmpty();
      self->field_open_ = true;
    }
    self->field_->first.append(at, n);
    return 0;
  }
  static int OnHeaderFieldComplete(llhttp_t* p) {
    RequestParser* self = Self(p);
    self->field_open_ = false;
    if (self->name_has_space_) return self->Fail(400, "whitespace in a header field name");
    if (++self->fields_ > self->limits_.max_header_fields) {
      return self->Fail(431, "too many header fields");
    }
    return 0;
  }
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t n) {
    RequestParser* self = Self(p);
    if (n > 0 && self->FoldBefore(at)) self->folded_ = true;  // refused when the value ends
    if (self->headers_complete_) return 0;
    if (self->field_ != nullptr) self->field_->second.append(at, n);
    return 0;
  }
  static int OnHeaderValueComplete(llhttp_t* p) {
    RequestParser* self = Self(p);
    if (self->folded_) return self->Fail(400, "obsolete line folding in a header");
    if (self->headers_complete_ || self->field_ == nullptr) return 0;
    std::string& v = self->field_->second;  // llhttp keeps trailing whitespace
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    return 0;
  }
  static int OnHeadersComplete(llhttp_t* p) { return Self(p)->HeadersComplete(); }
  static int OnChunkHeader(llhttp_t* p) {
    RequestParser* self = Self(p);
    // The chunk's size is in content_length: refuse before buffering any of it.
    if (p->content_length > self->limits_.max_body_bytes - self->request_.body.size()) {
      return self->Fail(413, "request body too large");
    }
    if (p->content_length != 0) return 0;
    self->trailers_ = true;  // the last chunk: the trailer section, capped, begins here
    return HPE_PAUSED;
  }
  static int OnBody(llhttp_t* p, const char* at, size_t n) {
    RequestParser* self = Self(p);
    if (n > self->limits_.max_body_bytes - self->request_.body.size()) {
      return self->Fail(413, "request body too large");
    }
    self->request_.body.append(at, n);
    return 0;
  }
  static int OnMessageComplete(llhttp_t* p) {
    RequestParser* self = Self(p);
    self->complete_ = true;
    self->request_.complete_us = NowMicros();
    // RFC 9112 9.6: a "close" option closes, whatever else the field says; llhttp 8.1 lets
    // "keep-alive" win on HTTP/1.0 ("Connection: close, keep-alive").
    self->request_.keep_alive =
        llhttp_should_keep_alive(p) != 0 && !self->upgrade_ && (p->flags & F_CONNECTION_CLOSE) == 0;
    return HPE_PAUSED;  // one request at a time: the next waits for Next()
  }

  static const llhttp_settings_t* Settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_message_begin = OnMessageBegin;
      s.on_url = OnUrl;
      s.on_header_field = OnHeaderField;
      s.on_header_field_complete = OnHeaderFieldComplete;
      s.on_header_value = OnHeaderValue;
      s.on_header_value_complete = OnHeaderValueComplete;
      s.on_headers_complete = OnHeadersComplete;
      s.on_chunk_header = OnChunkHeader;
      s.on_body = OnBody;
      s.on_message_complete = OnMessageComplete;
      return s;
    }();
    return &settings;
  }
};

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits) {
  llhttp_init(&parser_, HTTP_REQUEST, ParserCallbacks::Settings());
  parser_.data = this;
}

int RequestParser::Fail(int status, const char* message) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_message_ = message;
  }
  return HPE_USER;
}

// True when the value starting at `at` follows a line break (after optional blanks):
// "X: a\r\n b" (a continuation line) rather than "X: a".
bool RequestParser::FoldBefore(const char* at) const {
  for (const char* p = at; p > chunk_begin_; --p) {
    char c = p[-1];
    if (c != ' ' && c != '\t') return c == '\n';
  }
  return tail_was_lf_;  // the blanks reach back into the previous chunk
}

int RequestParser::HeadersComplete() {
  headers_complete_ = true;
  field_ = nullptr;
  if (parser_.http_major != 1) {
    return parser_.http_major == 0 ? Fail(400, "HTTP/0.9 is not supported")
                                   : Fail(505, "only HTTP/1.x is supported here");
  }
  request_.version_minor = parser_.http_minor;
  request_.method.assign(llhttp_method_name(static_cast<llhttp_method_t>(parser_.method)));
  // RFC 9112 6.1: a 1.0 message with Transfer-Encoding has faulty framing.
  if (parser_.http_minor == 0 && (parser_.flags & F_TRANSFER_ENCODING)) {
    return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (parser_.flags & F_CONTENT_LENGTH) {
    if (parser_.content_length > limits_.max_body_bytes) {
      return Fail(413, "request body too large");
    }
    // What a client announces is not yet memory it has sent: reserve at most kReserveBodyBytes
    // up front, and let the body grow as bytes arrive (a limit set very high must not turn a
    // header line into an allocation failure that ends the process).
    request_.body.reserve(std::min<uint64_t>(parser_.content_length, kReserveBodyBytes));
  }
  if (parser_.http_minor >= 1) {
    const std::string* expect = request_.headers.Find("expect");
    expect_continue_ = expect != nullptr && EqualsIgnoreCase(*expect, "100-continue");
  }
  upgrade_ = parser_.upgrade != 0;
  return CheckTargetAndHost();
}

// RFC 9112 3.2 and 3.2.2: an HTTP/1.1 request has exactly one Host field; a target is in
// origin-form ("/path?q"), or in absolute-form ("http://host/path?q"), which a server
// must accept and reads as its path; "*" only for OPTIONS. Anything else is refused, so
// that routing never sees a target it could misread.
int RequestParser::CheckTargetAndHost() {
  int hosts = 0;
  for (const auto& [name, value] : request_.headers) hosts += EqualsIgnoreCase(name, "host");
  if (hosts > 1) return Fail(400, "more than one Host header field");
  if (hosts == 0 && parser_.http_minor >= 1) return Fail(400, "missing Host header field");
  std::string& target = request_.target;
  if (!target.empty() && target.front() == '/') return 0;
  if (target == "*" && parser_.method == HTTP_OPTIONS) return 0;
  std::string_view scheme_end = "://";
  size_t scheme = target.find(scheme_end);
  std::string_view s = std::string_view(target).substr(0, scheme == std::string::npos ? 0 : scheme);
  if (!EqualsIgnoreCase(s, "http") && !EqualsIgnoreCase(s, "https")) {
    return Fail(400, "request target is neither a path nor an absolute URI");
  }
  size_t authority = scheme + scheme_end.size();
  size_t path = target.find_first_of("/?", authority);
  if (path == authority) return Fail(400, "absolute URI without a host");
  if (path == std::string::npos) {
    target.assign(1, '/');
  } else if (target[path] == '?') {
    target.replace(0, path, 1, '/');
  } else {
    target.erase(0, path);
  }
  return 0;
}

// The head and the trailer section are capped by byte position, not by what the data
// callbacks have seen: llhttp reports a token only when it ends or when a read ends, and
// stops at a malformed byte without reporting the token it was in. Counting in callbacks
// made the verdict depend on the reads: a head over the cap with a bad byte past the cap
// was 400 when read at once (the bad byte stopped llhttp before any callback crossed the
// cap) and 431 when read in pieces (a read's end reported the token early). So llhttp is
// paused where a capped section begins (OnMessageBegin, OnChunkHeader of the last chunk)
// and is never given a byte past the cap: the first such byte is 431, whatever the reads.
RequestParser::Outcome RequestParser::Execute(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (error_status_ != 0) return Outcome::kError;
  chunk_begin_ = data.data();
  const char* p = data.data();
  const char* const end = p + data.size();
  while (p < end) {
    const char* stop = end;
    bool capped = InCappedSection();
    if (capped) {
      uint64_t room = limits_.max_header_bytes - section_bytes_;
      if (room == 0) {
        Fail(431, trailers_ ? "trailer section too large" : "request header block too large");
        return Outcome::kError;
      }
      if (room < static_cast<uint64_t>(end - p)) stop = p + room;
    }
    llhttp_errno_t err = llhttp_execute(&parser_, p, static_cast<size_t>(stop - p));
    const char* reached = err == HPE_OK ? stop : llhttp_get_error_pos(&parser_);
    if (capped) section_bytes_ += static_cast<uint64_t>(reached - p);
    if (err == HPE_PAUSED && complete_) {
      *consumed = static_cast<size_t>(reached - data.data());
      RememberTail(data.substr(0, *consumed));
      return Outcome::kComplete;
    }
    if (err == HPE_PAUSED) {  // a capped section begins at `reached`
      llhttp_resume(&parser_);
      section_bytes_ = 0;
      p = reached;
      continue;
    }
    if (err != HPE_OK) return LlhttpError(err);
    p = stop;
  }
  *consumed = data.size();
  RememberTail(data);
  return Outcome::kNeedMore;
}

RequestParser::Outcome RequestParser::LlhttpError(llhttp_errno_t err) {
  if (error_status_ == 0) {
    error_status_ = 400;
    error_message_ = err == HPE_PAUSED_UPGRADE
                         ? "protocol upgrade is not supported"
                         : std::string("malformed request: ") + llhttp_get_error_reason(&parser_);
  }
  return Outcome::kError;
}

// Remembers how the data ended, for FoldBefore().
void RequestParser::RememberTail(std::string_view data) {
  for (size_t i = data.size(); i > 0; --i) {
    char c = data[i - 1];
    if (c == ' ' || c == '\t') continue;
    tail_was_lf_ = c == '\n';
    break;
  }
}

void RequestParser::Next() {
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
  field_ = nullptr;
  section_bytes_ = 0;
  fields_ = 0;
  started_ = false;
  headers_complete_ = false;
  trailers_ = false;
  complete_ = false;
  name_has_space_ = false;
  folded_ = false;
  expect_continue_ = false;
  upgrade_ = false;
  field_open_ = false;
  tail_was_lf_ = false;
  request_.method.clear();
  request_.target.clear();
  request_.headers.Clear();
  if (request_.body.capacity() > kKeepBodyCapacity) {
    std::string().swap(request_.body);
  } else {
    request_.body.clear();
  }
  request_.version_minor = 1;
  request_.keep_alive = true;
  request_.started_us = 0;
  request_.complete_us = 0;
}

}  // namespace edge::net
