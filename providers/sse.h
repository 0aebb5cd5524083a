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
  std::string_view raw;   // the event's exact bytes including its blank-line terminator
  bool has_data = false;  // at least one `data` line (data may still be empty)
};

// Not thread-safe; one per stream. The views of an SseEvent live only during the callback.
class SseFramer {
 public:
  // Upper bound for one event; a longer one is a protocol error (see error()).
  explicit SseFramer(size_t max_event_bytes = 8 << 20) : max_event_bytes_(max_event_bytes) {}

  // Feeds bytes; calls on_event for each complete event (LF, CRLF or CR line endings).
  // Comment lines (":...") are part of raw but produce no field. Events without data are
  // still reported, a lone blank line too, so that concatenating every raw gives back the
  // input byte for byte. Returns false (and stops for good) once an event exceeds the limit.
  //
  // An event ended by a CR that is the very last byte fed so far is held until the next byte
  // shows whether that CR is half of a CRLF; that keeps raw byte-exact.
  bool Feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);
  // The stream ended: reports an event held only for a possible LF after its final CR, and
  // drops an unfinished one, as the spec says. Returns the number of bytes dropped.
  size_t Finish(const std::function<void(const SseEvent&)>& on_event);
  // Bytes of an unfinished event held back.
  size_t pending() const { return buffer_.size(); }
  // An event exceeded max_event_bytes; Feed() does nothing any more.
  bool error() const { return failed_; }

 private:
  // Where the scan of the current event stands, carried across Feed() calls so that each
  // byte is looked at once however the stream is split.
  enum class ScanState { kLineStart, kInLine, kCrInLine, kCrBlank };

  // Index in `bytes` just past the end of the current event, or npos when it continues.
  size_t ScanForEnd(std::string_view bytes);
  void Emit(std::string_view raw, const std::function<void(const SseEvent&)>& on_event);

  size_t max_event_bytes_;
  std::string buffer_;  // the unfinished event's bytes seen so far
  std::string joined_;  // data of events with several data lines
  ScanState state_ = ScanState::kLineStart;
  bool failed_ = false;
};

}  // namespace edge::providers
