#include "node/net/response_parser.h"

#include <utility>

namespace edge::net {
ResponseParser::ResponseParser(ResponseLimits limits) : limits_(limits) { Reset(nullptr, false); }

// llhttp keeps a pointer to the settings, so they live as long as the process.
const llhttp_settings_t* ResponseParser::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &ResponseParser::OnMessageBegin;
    s.on_header_field = &ResponseParser::OnHeaderField;
    s.on_header_value = &ResponseParser::OnHeaderValue;
    s.on_header_value_complete = &ResponseParser::OnHeaderValueComplete;
    s.on_headers_complete = &ResponseParser::OnHeadersComplete;
    s.on_chunk_header = &ResponseParser::OnChunkHeader;
    s.on_body = &ResponseParser::OnBodyData;
    s.on_message_complete = &ResponseParser::OnMessageComplete;
    return s;
  }();
  return &settings;
}

void ResponseParser::Reset(Listener* listener, bool head_request) {
  llhttp_init(&parser_, HTTP_RESPONSE, Settings());
  parser_.data = this;
  listener_ = listener;
  head_request_ = head_request;
  headers_.Clear();
  field_.clear();
  value_.clear();
  held_body_ = {};
  section_bytes_ = 0;
  trailer_fields_ = 0;
  started_ = headers_complete_ = trailers_ = false;
  head_done_ = complete_ = keep_alive_ = stopped_ = broken_ = false;
  error_.clear();
}

// The heads and the trailer section are capped by byte position, not by what the data
// callbacks have seen: llhttp reports a token only when it ends or when a read ends, and
// stops at a malformed byte without reporting the token it was in. Counting in callbacks
// made the verdict depend on the reads: a head over the cap with a bad byte past the cap
// was llhttp's error when read at once and "too large" when read in pieces. So llhttp is
// paused where a capped section begins (OnMessageBegin, OnChunkHeader of the last chunk)
// and is never given a byte past the cap: the first such byte is the error, whatever the
// reads. Every other decision is taken in a complete callback, at a fixed byte.
Status ResponseParser::Feed(std::string_view data) {
  Status s = FeedSome(data);
  // Body bytes held back (OnBodyData) point into `data`: they go now, before its end.
  if (!DeliverHeldBody()) return Status::Ok();
  return s;
}

bool ResponseParser::DeliverHeldBody() {
  std::string_view body = std::exchange(held_body_, {});
  if (body.empty() || stopped_ || listener_ == nullptr) return true;
  if (!listener_->OnBody(body)) stopped_ = true;
  return !stopped_;
}

Status ResponseParser::FeedSome(std::string_view data) {
  if (broken_) return ErrorStatus();
  if (stopped_ || data.empty()) return Status::Ok();
  if (complete_) {
    keep_alive_ = false;  // bytes nobody asked for: the server and we disagree on framing
    return Status::Ok();
  }
  const char* p = data.data();
  const char* const end = p + data.size();
  while (p < end) {
    const char* stop = end;
    bool capped = InCappedSection();
    if (capped) {
      uint64_t room = limits_.max_head_bytes - section_bytes_;
      if (room == 0) {
        return Broken(trailers_ ? "response trailer section too large" : "response head too large");
      }
      if (room < static_cast<uint64_t>(end - p)) stop = p + room;
    }
    llhttp_errno_t err = llhttp_execute(&parser_, p, static_cast<size_t>(stop - p));
    const char* reached = err == HPE_OK ? stop : llhttp_get_error_pos(&parser_);
    if (capped) section_bytes_ += static_cast<uint64_t>(reached - p);
    if (stopped_) return Status::Ok();
    if (err == HPE_PAUSED && complete_) {
      if (reached != end) keep_alive_ = false;
      return Status::Ok();
    }
    if (err == HPE_PAUSED) {  // a capped section begins at `reached`
      llhttp_resume(&parser_);
      section_bytes_ = 0;
      p = reached;
      continue;
    }
    if (err != HPE_OK) {
      if (!error_.empty()) return Broken(error_);  // our own refusal: see Fail()
      const char* reason = llhttp_get_error_reason(&parser_);
      return Broken((reason != nullptr && *reason != '\0') ? reason : llhttp_errno_name(err));
    }
    p = stop;
  }
  return Status::Ok();
}

Status ResponseParser::Finish() {
  if (broken_) return ErrorStatus();
  if (stopped_ || complete_) return Status::Ok();
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (complete_) return Status::Ok();  // a close-delimited body ended with the connection
  // HPE_OK without completion: no final response was in progress (at most 1xx ones).
  return Broken(err == HPE_OK ? "connection closed before a response arrived"
                              : "connection closed before the response was complete");
}

Status ResponseParser::Broken(std::string reason) {
  broken_ = true;
  error_ = std::move(reason);
  return ErrorStatus();
}

Status ResponseParser::ErrorStatus() const { return Unavailable(error_); }

// Kept here rather than in llhttp, which replaces the reason a complete callback sets with
// its own ("`on_header_value_complete` callback error").
int ResponseParser::Fail(const char* reason) {
  error_ = reason;
  return HPE_USER;
}

// llhttp's callbacks. Data callbacks may come in pieces when a token spans two reads, so
// they only append; the decisions are taken in the complete callbacks.

int ResponseParser::OnMessageBegin(llhttp_t* p) {
  ResponseParser* self = Self(p);
  // A 1xx response may come first; only the final response's fields are kept.
  self->headers_.Clear();
  self->field_.clear();
  self->value_.clear();
  self->started_ = true;
  self->headers_complete_ = false;
  self->trailers_ = false;
  self->trailer_fields_ = 0;
  return HPE_PAUSED;  // Feed() learns where the head begins and caps it from there
}

int ResponseParser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  Self(p)->field_.append(at, len);
  return 0;
}

int ResponseParser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Self(p)->value_.append(at, len);
  return 0;
}

int ResponseParser::OnHeaderValueComplete(llhttp_t* p) {
  ResponseParser* self = Self(p);
  if (self->headers_complete_) {  // a trailer field: counted, then dropped
    self->field_.clear();
    self->value_.clear();
    if (++self->trailer_fields_ > self->limits_.max_header_fields) {
      return self->Fail("too many response trailer fields");
    }
    return 0;
  }
  if (self->headers_.size() >= self->limits_.max_header_fields) {
    return self->Fail("too many response headers");
  }
  // Copies into the list's spare strings: no allocation once the connection is warm.
  auto& field = self->headers_.AddEmpty();
  field.first.assign(self->field_);
  field.second.assign(self->value_);
  self->field_.clear();
  self->value_.clear();
  return 0;
}

int ResponseParser::OnHeadersComplete(llhttp_t* p) {
  ResponseParser* self = Self(p);
  self->headers_complete_ = true;
  int status = p->status_code;
  // We never ask for a protocol switch, so a 101 cannot be followed sensibly.
  if (status == 101) return self->Fail("unexpected 101 Switching Protocols");
  if (status < 100 || status > 999) return self->Fail("invalid status code");
  // Interim (100 Continue, 103 Early Hints): skipped, and never with a body, whatever a
  // Content-Length in it says (1: llhttp treats the message as bodiless).
  if (status < 200) return 1;
  self->head_done_ = true;
  if (self->listener_ != nullptr && !self->listener_->OnHead(status, self->headers_)) {
    self->stopped_ = true;
    return HPE_PAUSED;
  }
  return self->head_request_ ? 1 : 0;  // 1: no body follows, whatever the headers say
}

int ResponseParser::OnChunkHeader(llhttp_t* p) {
  if (p->content_length != 0) return 0;
  Self(p)->trailers_ = true;  // the last chunk: the trailer section, capped, begins here
  return HPE_PAUSED;
}

// The latest body bytes are held back until the next ones, the end of the response (then they
// are the last: OnLastBody) or the end of the Feed.
int ResponseParser::OnBodyData(llhttp_t* p, const char* at, size_t len) {
  ResponseParser* self = Self(p);
  if (!self->DeliverHeldBody()) return HPE_USER;  // Feed() sees stopped_ and ignores the rest
  self->held_body_ = std::string_view(at, len);
  return 0;
}

int ResponseParser::OnMessageComplete(llhttp_t* p) {
  ResponseParser* self = Self(p);
  self->trailers_ = false;
  if (!self->head_done_) return 0;  // the end of an interim response; keep parsing
  std::string_view last = std::exchange(self->held_body_, {});
  if (!last.empty() && self->listener_ != nullptr && !self->listener_->OnLastBody(last)) {
    self->stopped_ = true;
    return HPE_USER;
  }
  self->complete_ = true;
  self->keep_alive_ = llhttp_should_keep_alive(p) != 0;
  // Pausing leaves any further bytes unparsed, so Feed() can tell that they exist.
  return HPE_PAUSED;
}

}  // namespace edge::net
