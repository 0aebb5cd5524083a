#pragma once

// Server-sent events framing (WHATWG HTML, "event stream interpretation"), incremental:
// bytes in as they arrive, whole events out. Used by every provider that streams SSE.

#include <functional>
#include <string>
#include <string_view>

namespace edge::providers {

struct SseEvent {
  std::string_view event;  // the `event:` field, empty when absent
  std::string_view data;   // `data:` lines joined with '\n'
  std::string_view id;
  std::string_view raw;    // the event's exact bytes including its blank-line terminator
};

class SseFramer {
 public:
  // Upper bound for one event; a longer one is a protocol error (see error()).
  explicit SseFramer(size_t max_event_bytes = 8 << 20) : max_event_bytes_(max_event_bytes) {}

  // Feeds bytes; calls on_event for each complete event (LF, CRLF or CR line endings).
  // Comment lines (":...") are part of raw but produce no field. Events without data are
  // still reported. Returns false (and stops) once an event exceeds the limit.
  bool Feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);
  // Bytes of an unfinished event held back.
  size_t pending() const { return buffer_.size(); }

 private:
  size_t max_event_bytes_;
  std::string buffer_;
};

}  // namespace edge::providers
