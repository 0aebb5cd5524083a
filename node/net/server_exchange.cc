// ServerConnection as the handler's ServerExchange: response framing and serialization.
// A head with a known length waits in head_buf_ and leaves in the same write as the first
// body bytes; chunk framing is written together with its data; so a Reply() is one syscall.
// A stream's head waits only until the end of the loop turn (the connection's timer, due at
// once): the events sent in that turn go with it.

// Same setting as the rapidjson_headers target, so that every TU sees one RapidJSON.
#ifndef RAPIDJSON_HAS_STDSTRING
#define RAPIDJSON_HAS_STDSTRING 1
#endif
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "node/net/request_id.h"
#include "node/net/server_connection.h"

namespace edge::net {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kCrlfLastChunk = "\r\n0\r\n\r\n";  // a chunk's end, then the last

void AppendNumber(std::string& out, uint64_t v, int base = 10) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, base);
  out.append(buf, end);
}

std::string DefaultErrorBody(int status, std::string_view message) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("type");
  w.String("invalid_request_error");
  w.Key("code");
  w.Int(status);
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace

std::string HeadBuffers::Take() {
  std::vector<std::string>& free = List();
  if (free.empty()) return {};
  std::string s = std::move(free.back());
  free.pop_back();
  return s;
}

void HeadBuffers::Give(std::string&& s) {
  std::vector<std::string>& free = List();
  if (s.capacity() <= kInlineBytes || s.capacity() > kMaxKeptBytes || free.size() >= kMaxKept) {
    return;
  }
  s.clear();
  free.push_back(std::move(s));
}

std::vector<std::string>& HeadBuffers::List() {
  thread_local std::vector<std::string> free;
  return free;
}

// Sized for the longest head these fields make, then written through a pointer: the head of
// every response, where an append per piece (four per field) cost ~100 instructions a field.
void ServerConnection::BuildHead(int status, const HeaderList& headers,
                                 std::optional<uint64_t> length) {
  constexpr std::string_view kStatusLineStart = "HTTP/1.1 ";
  constexpr std::string_view kChunked = "Transfer-Encoding: chunked\r\n";
  constexpr std::string_view kKeepAlive = "Connection: keep-alive\r\n\r\n";
  constexpr std::string_view kClose = "Connection: close\r\n\r\n";
  constexpr std::string_view kLength = "Content-Length: ";
  const std::string_view reason = ReasonPhrase(status);
  size_t most = kStatusLineStart.size() + 24 + 1 + reason.size() + kCrlf.size() + kLength.size() +
                24 + kCrlf.size() + kChunked.size() + kKeepAlive.size();
  for (const auto& [name, value] : headers) most += name.size() + 2 + value.size() + kCrlf.size();
  if (head_buf_.capacity() <= HeadBuffers::kInlineBytes) head_buf_ = HeadBuffers::Take();
  head_buf_.clear();
  head_buf_.resize(most);
  char* const start = head_buf_.data();
  char* p = PutBytes(start, kStatusLineStart);
  p = std::to_chars(p, p + 24, static_cast<uint64_t>(status)).ptr;
  *p++ = ' ';
  p = PutBytes(p, reason);
  p = PutBytes(p, kCrlf);
  for (const auto& [name, value] : headers) {
    if (IsFramingHeader(name) || !IsValidFieldName(name) || !IsValidFieldValue(value)) continue;
    p = PutBytes(p, name);
    *p++ = ':';
    *p++ = ' ';
    p = PutBytes(p, value);
    p = PutBytes(p, kCrlf);
  }
  if (has_length_) {
    p = PutBytes(p, kLength);
    p = std::to_chars(p, p + 24, *length).ptr;
    p = PutBytes(p, kCrlf);
  } else if (chunked_) {
    p = PutBytes(p, kChunked);
  }
  p = PutBytes(p, keep_alive_ ? kKeepAlive : kClose);
  head_buf_.resize(static_cast<size_t>(p - start));
}

void ServerConnection::SendHead(int status, const HeaderList& headers,
                                std::optional<uint64_t> content_length) {
  if (phase_ != Phase::kHandling || head_started_) return;
  head_started_ = true;
  const HttpRequest& req = request();
  const bool is_head = req.method == "HEAD";
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  no_body_ = is_head || bodiless_status;
  if (bodiless_status) {
    // No framing: these responses end with their head.
  } else if (content_length.has_value()) {
    has_length_ = true;
    body_remaining_ = is_head ? 0 : *content_length;
  } else if (is_head) {
    // Length unknown and no body follows: nothing to frame.
  } else if (req.version_minor >= 1) {
    chunked_ = true;
  } else {
    close_delimited_ = true;  // HTTP/1.0 knows no chunks: the close ends the body
    keep_alive_ = false;
  }
  BuildHead(status, headers, content_length);
  head_pending_ = true;
  if (!has_length_ && !no_body_) {
    // A stream: the client should see the head now, not when the first event comes. "Now"
    // is the end of this loop turn: events the upstream sent with its head (most do) leave
    // in the same write, one wake-up of the client instead of two.
    ArmTimer(uv_now(transport_->loop()));
  }
}

void ServerConnection::FlushPendingHead() {
  if (!head_pending_ || phase_ != Phase::kHandling) return;
  std::string_view head = head_buf_;
  head_pending_ = false;
  WriteParts(&head, 1);
}

bool ServerConnection::WriteParts(const std::string_view* parts, size_t count) {
  if (transport_ == nullptr) return false;
  bool ok = transport_->Writev(parts, count);
  WatchWrites();
  return ok;
}

void ServerConnection::WatchWrites() {
  if (transport_ == nullptr || core_ == nullptr || transport_->buffered() == 0) return;
  ArmTimer(transport_->last_write_progress_ms() + core_->options.limits.write_timeout_ms);
}

bool ServerConnection::SendBody(std::string_view data) {
  if (phase_ != Phase::kHandling || transport_ == nullptr) return false;
  if (!head_started_) SendHead(200, HeaderList(), std::nullopt);
  if (has_length_) {
    data = data.substr(0, body_remaining_);  // more than announced would corrupt the framing
    body_remaining_ -= data.size();
  }
  if (no_body_ || data.empty()) {
    return transport_->buffered() <= core_->options.limits.max_client_buffer_bytes;
  }
  std::string_view parts[4];
  size_t n = 0;
  if (head_pending_) parts[n++] = head_buf_;
  head_pending_ = false;
  char size_line[24];
  if (chunked_) {
    auto [end, ec] = std::to_chars(size_line, size_line + 20, data.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    parts[n++] = std::string_view(size_line, static_cast<size_t>(end - size_line));
    parts[n++] = data;
    parts[n++] = kCrlf;
  } else {
    parts[n++] = data;
  }
  bool ok = WriteParts(parts, n);
  if (!ok) writable_wanted_ = true;
  return ok;
}

void ServerConnection::End() { Finish({}); }

void ServerConnection::EndWith(std::string_view last) {
  if (!last.empty() && (!chunked_ || !head_started_)) {
    SendBody(last);
    last = {};
  }
  Finish(last);
}

// Ends the response; `last` (chunked bodies only) is the body's last bytes, written in the same
// write as the terminating chunk.
void ServerConnection::Finish(std::string_view last) {
  if (phase_ != Phase::kHandling || transport_ == nullptr) return;
  if (!head_started_) SendHead(200, HeaderList(), 0);
  if (has_length_ && body_remaining_ > 0) {
    Abort();  // fewer bytes than Content-Length promised: only a close can tell the client
    return;
  }
  std::string_view parts[4];
  size_t n = 0;
  if (head_pending_) parts[n++] = head_buf_;
  head_pending_ = false;
  char size_line[24];
  if (chunked_ && !last.empty()) {
    auto [end, ec] = std::to_chars(size_line, size_line + 20, last.size(), 16);
    *end++ = '\r';
    *end++ = '\n';
    parts[n++] = std::string_view(size_line, static_cast<size_t>(end - size_line));
    parts[n++] = last;
    parts[n++] = kCrlfLastChunk;
  } else if (chunked_) {
    parts[n++] = kLastChunk;
  }
  if (n > 0) WriteParts(parts, n);
  if (!keep_alive_ || close_delimited_) {
    phase_ = Phase::kClosing;
    observer_ = nullptr;
    transport_->CloseAfterFlush();
    WatchWrites();
    return;
  }
  ResponseDone();
  WatchWrites();
}

void ServerConnection::Reply(int status, const HeaderList& headers, std::string_view body) {
  if (phase_ != Phase::kHandling) return;
  SendHead(status, headers, body.size());
  SendBody(body);
  End();
}

void ServerConnection::Abort() {
  if (phase_ != Phase::kHandling || transport_ == nullptr) return;
  // A head still waiting is dropped: an empty reply says "failed" as clearly as a cut body.
  head_pending_ = false;
  phase_ = Phase::kClosing;
  observer_ = nullptr;
  transport_->CloseAfterFlush();
  WatchWrites();
}

void ServerConnection::SendError(int status, std::string_view message) {
  phase_ = Phase::kClosing;
  FillRequestId(request_id_.data());
  std::string body = core_->options.error_body ? core_->options.error_body(status, message)
                                               : DefaultErrorBody(status, message);
  head_buf_.clear();
  head_buf_.append("HTTP/1.1 ");
  AppendNumber(head_buf_, static_cast<uint64_t>(status));
  head_buf_.push_back(' ');
  head_buf_.append(ReasonPhrase(status));
  head_buf_.append("\r\nContent-Type: application/json\r\nX-Edge-Request-Id: ");
  head_buf_.append(request_id_);
  head_buf_.append("\r\nX-Edge-Node: ");
  head_buf_.append(core_->options.node_id);
  head_buf_.append("\r\nContent-Length: ");
  AppendNumber(head_buf_, body.size());
  head_buf_.append("\r\nConnection: close\r\n\r\n");
  const std::string_view parts[] = {head_buf_, body};
  transport_->Writev(parts, 2);
  transport_->CloseAfterFlush();
  WatchWrites();
}

}  // namespace edge::net
