#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::net {

// Header fields in arrival order; names keep their case, lookups ignore it.
class HeaderList {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // The first field named `name` (ASCII case-insensitive), or nullptr.
  const std::string* Find(std::string_view name) const;
  // Removes every field named `name`.
  void Remove(std::string_view name);
  void Set(std::string name, std::string value) {
    Remove(name);
    Add(std::move(name), std::move(value));
  }
  size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;     // "GET", "POST", ...
  std::string target;     // as sent: "/v1/chat/completions?x=1"
  std::string_view path() const {  // target without the query
    auto q = target.find('?');
    return std::string_view(target).substr(0, q);
  }
  int version_minor = 1;  // HTTP/1.<minor>; 0 means a 1.0 client
  HeaderList headers;
  std::string body;       // complete (de-chunked) body
  bool keep_alive = true;
  int64_t started_us = 0;   // monotonic time the first byte of this request was read
  int64_t complete_us = 0;  // monotonic time the last byte was parsed
};

}  // namespace edge::net
