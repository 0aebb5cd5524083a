#include "node/net/response_parser.h"

namespace edge::net {
ResponseParser::ResponseParser() { Reset(nullptr, false); }

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
  header_bytes_ = 0;
  head_done_ = complete_ = keep_alive_ = stopped_ = broken_ = false;
  error_.clear();
}

Status ResponseParser::Feed(std::string_view data) {
  if (broken_) return ErrorStatus();
  if (stopped_ || data.empty()) return Status::Ok();
  if (complete_) {
    keep_alive_ = false;  // bytes nobody asked for: the server and we disagree on framing
    return Status::Ok();
  }
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  if (stopped_ || err == HPE_OK) return Status::Ok();
  if (err == HPE_PAUSED && complete_) {
    if (llhttp_get_error_pos(&parser_) != data.data() + data.size()) keep_alive_ = false;
    return Status::Ok();
  }
  broken_ = true;
  const char* reason = llhttp_get_error_reason(&parser_);
  error_ = (reason != nullptr && *reason != '\0') ? reason : llhttp_errno_name(err);
  return ErrorStatus();
}

Status ResponseParser::Finish() {
  if (broken_) return ErrorStatus();
  if (stopped_ || complete_) return Status::Ok();
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (complete_) return Status::Ok();  // a close-delimited body ended with the connection
  broken_ = true;
  // HPE_OK without completion: no final response was in progress (at most 1xx ones).
  error_ = err == HPE_OK ? "connection closed before a response arrived"
                         : "connection closed before the response was complete";
  return ErrorStatus();
}

Status ResponseParser::ErrorStatus() const { return Unavailable(error_); }

int ResponseParser::Fail(const char* reason) {
  llhttp_set_error_reason(&parser_, reason);
  return HPE_USER;
}

int ResponseParser::OnMessageBegin(llhttp_t* p) {
  ResponseParser* self = Self(p);
  // A 1xx response may come first; only the final response's fields are kept.
  self->headers_.Clear();
  self->header_bytes_ = 0;
  return 0;
}

int ResponseParser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  ResponseParser* self = Self(p);
  self->header_bytes_ += len;
  if (self->header_bytes_ > kMaxHeaderBytes) return self->Fail("response head too large");
  self->field_.append(at, len);
  return 0;
}

int ResponseParser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  ResponseParser* self = Self(p);
  self->header_bytes_ += len;
  if (self->header_bytes_ > kMaxHeaderBytes) return self->Fail("response head too large");
  self->value_.append(at, len);
  return 0;
}

int ResponseParser::OnHeaderValueComplete(llhttp_t* p) {
  ResponseParser* self = Self(p);
  if (self->headers_.size() >= kMaxHeaderFields) return self->Fail("too many response headers");
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

int ResponseParser::OnBodyData(llhttp_t* p, const char* at, size_t len) {
  ResponseParser* self = Self(p);
  if (self->listener_ != nullptr && !self->listener_->OnBody(std::string_view(at, len))) {
    self->stopped_ = true;
    return self->Fail("stopped by the listener");
  }
  return 0;
}

int ResponseParser::OnMessageComplete(llhttp_t* p) {
  ResponseParser* self = Self(p);
  if (!self->head_done_) return 0;  // the end of an interim response; keep parsing
  self->complete_ = true;
  self->keep_alive_ = llhttp_should_keep_alive(p) != 0;
  // Pausing leaves any further bytes unparsed, so Feed() can tell that they exist.
  return HPE_PAUSED;
}

}  // namespace edge::net
