#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::net {

// Header fields in arrival order; names keep their case, lookups ignore it.
// Clear() keeps the strings' storage, so that a connection parsing request after request
// into one list allocates nothing once it has warmed up.
class HeaderList {
 public:
  // Copies into the storage a removed or cleared field left behind, so that a list reused
  // request after request allocates nothing once warm.
  void Add(std::string_view name, std::string_view value);
  // The first field named `name` (ASCII case-insensitive), or nullptr.
  const std::string* Find(std::string_view name) const;
  // Removes every field named `name`.
  void Remove(std::string_view name);
  void Set(std::string_view name, std::string_view value) {
    Remove(name);
    Add(name, value);
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  auto begin() const { return fields_.cbegin(); }
  auto end() const { return fields_.cbegin() + static_cast<std::ptrdiff_t>(size_); }

  // Removes every field, keeping the storage for reuse.
  void Clear() { size_ = 0; }
  // Appends a field with empty name and value (reusing storage) and returns it, for
  // parsers that fill fields piecewise. Valid until the next change to the list.
  std::pair<std::string, std::string>& AddEmpty();
  // Drops the kept storage too (for idle connections).
  void Release() {
    fields_.clear();
    fields_.shrink_to_fit();
    size_ = 0;
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // [size_, end) are spares
  size_t size_ = 0;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Fields that frame a message or manage its connection: each side of a hop decides them
// itself, so a copy from the other hop would contradict it (RFC 9112 sections 6 and 9.6).
bool IsFramingHeader(std::string_view name);

// Copies `s` to `p` and returns its end: for heads written through a pointer into a buffer
// sized for them first (a capacity check per piece costs more than the copy).
inline char* PutBytes(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());  // an empty view may have no data
  return p + s.size();
}

// RFC 9110 field syntax: a name is a non-empty token; a value has no control characters
// but horizontal tab. A field failing these could smuggle headers or a body into a message.
bool IsValidFieldName(std::string_view name);
bool IsValidFieldValue(std::string_view value);

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view ReasonPhrase(int status);

struct HttpRequest {
  std::string method;              // "GET", "POST", ...
  std::string target;              // as sent: "/v1/chat/completions?x=1"
  std::string_view path() const {  // target without the query
    auto q = target.find('?');
    return std::string_view(target).substr(0, q);
  }
  int version_minor = 1;  // HTTP/1.<minor>; 0 means a 1.0 client
  HeaderList headers;
  std::string body;  // complete (de-chunked) body
  bool keep_alive = true;
  int64_t started_us = 0;   // monotonic time the first byte of this request was read
  int64_t complete_us = 0;  // monotonic time the last byte was parsed
};

}  // namespace edge::net
