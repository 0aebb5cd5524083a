#include "providers/sse.h"

#include <cstring>

namespace edge::providers {
namespace {

// Index of the first CR or LF in text at or after `from`, or text.size(). Two memchr passes
// (vectorized in glibc) beat a byte loop on the ~200-byte lines of a token stream.
size_t FindLineBreak(std::string_view text, size_t from) {
  const char* begin = text.data() + from;
  size_t n = text.size() - from;
  if (const void* lf = std::memchr(begin, '\n', n)) {
    n = static_cast<size_t>(static_cast<const char*>(lf) - begin);
  }
  if (const void* cr = std::memchr(begin, '\r', n)) {
    n = static_cast<size_t>(static_cast<const char*>(cr) - begin);
  }
  return from + n;
}

}  // namespace

size_t SseFramer::ScanForEnd(std::string_view bytes) {
  // An event ends at an empty line: a line terminator (LF, CRLF or CR) right after another
  // terminator or at the very start of the event.
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    switch (state_) {
      case ScanState::kCrBlank:  // the blank line ended with CR; take its LF if one follows
        state_ = ScanState::kLineStart;
        return c == '\n' ? i + 1 : i;
      case ScanState::kCrInLine:
        state_ = ScanState::kLineStart;
        if (c == '\n') break;  // CRLF: one terminator
        [[fallthrough]];
      case ScanState::kLineStart:
        if (c == '\n') {
          state_ = ScanState::kLineStart;
          return i + 1;
        }
        state_ = c == '\r' ? ScanState::kCrBlank : ScanState::kInLine;
        break;
      case ScanState::kInLine:
        i = FindLineBreak(bytes, i);  // skip the rest of the line at once
        if (i == bytes.size()) return std::string_view::npos;
        state_ = bytes[i] == '\n' ? ScanState::kLineStart : ScanState::kCrInLine;
        break;
    }
  }
  return std::string_view::npos;
}

bool SseFramer::Feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event) {
  if (failed_) return false;
  auto fail = [this] {
    failed_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
    return false;
  };
  if (!buffer_.empty()) {
    // Finish the held event first; only its own bytes are copied.
    const size_t end = ScanForEnd(bytes);
    const size_t take = end == std::string_view::npos ? bytes.size() : end;
    if (buffer_.size() + take > max_event_bytes_) return fail();
    buffer_.append(bytes.data(), take);
    if (end == std::string_view::npos) return true;
    Emit(buffer_, on_event);
    buffer_.clear();
    bytes.remove_prefix(end);
  }
  // Whole events inside `bytes` are reported straight from it, without a copy.
  while (!bytes.empty()) {
    const size_t end = ScanForEnd(bytes);
    if (end == std::string_view::npos) {
      if (bytes.size() > max_event_bytes_) return fail();
      buffer_.assign(bytes);
      return true;
    }
    if (end > max_event_bytes_) return fail();
    Emit(bytes.substr(0, end), on_event);
    bytes.remove_prefix(end);
  }
  return true;
}

size_t SseFramer::Finish(const std::function<void(const SseEvent&)>& on_event) {
  size_t dropped = buffer_.size();
  if (!failed_ && state_ == ScanState::kCrBlank) {
    Emit(buffer_, on_event);
    dropped = 0;
  }
  buffer_.clear();
  state_ = ScanState::kLineStart;
  return dropped;
}

namespace {

// The next line of `text` from `pos` without its terminator; advances `pos` past it.
std::string_view NextLine(std::string_view text, size_t* pos) {
  const size_t start = *pos;
  size_t i = FindLineBreak(text, start);
  std::string_view line = text.substr(start, i - start);
  if (i < text.size()) {
    i += (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
  }
  *pos = i;
  return line;
}

}  // namespace

void SseFramer::Emit(std::string_view raw, const std::function<void(const SseEvent&)>& on_event) {
  SseEvent ev;
  ev.raw = raw;
  bool joined = false;  // data lives in joined_ rather than in raw
  size_t pos = 0;
  while (pos < raw.size()) {
    std::string_view line = NextLine(raw, &pos);
    if (line.empty()) break;       // the blank line that ends the event
    if (line[0] == ':') continue;  // comment
    std::string_view name = line;
    std::string_view value;
    if (size_t colon = line.find(':'); colon != std::string_view::npos) {
      name = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (name == "data") {
      if (!ev.has_data) {
        ev.data = value;
        ev.has_data = true;
      } else {
        if (!joined) {
          joined_.assign(ev.data);
          joined = true;
        }
        joined_.push_back('\n');
        joined_.append(value);
        ev.data = joined_;
      }
    } else if (name == "event") {
      ev.event = value;
    } else if (name == "id") {
      if (value.find('\0') == std::string_view::npos) ev.id = value;  // as the spec says
    }
    // `retry` and unknown fields are ignored, as the spec says; they stay in raw.
  }
  on_event(ev);
}

}  // namespace edge::providers
