#include "node/net/http_types.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace edge::net {

namespace {

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// tchar of RFC 9110: ALPHA / DIGIT / "!#$%&'*+-.^_`|~".
constexpr bool IsTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = IsTokenChar(static_cast<unsigned char>(c));
  return t;
}
constexpr std::array<bool, 256> kTokenChar = MakeTokenTable();

}  // namespace

bool IsValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  bool ok = true;
  for (char c : name) ok &= kTokenChar[static_cast<unsigned char>(c)];
  return ok;
}

bool IsValidFieldValue(std::string_view value) {
  // Eight bytes at a time (SWAR): this runs over every field of every message the node
  // writes. For each byte b, the high bit of `lt20` is set when b < 0x20, of `tab` when
  // b == '\t', of `del` when b == 0x7f; the additions cannot carry between bytes because
  // the high bits were masked off first.
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto zero_bytes = [](uint64_t x) { return ~(((x & kLow7) + kLow7) | x) & kHigh; };
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, value.data() + i, 8);
    const uint64_t lt20 = ~(((x & kLow7) + 0x6060606060606060ULL) | x) & kHigh;
    const uint64_t tab = zero_bytes(x ^ 0x0909090909090909ULL);
    const uint64_t del = zero_bytes(x ^ kLow7);
    bad |= (lt20 & ~tab) | del;
  }
  for (; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    bad |= static_cast<uint64_t>(((c < 0x20) & (c != '\t')) | (c == 0x7f));
  }
  return bad == 0;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

bool IsFramingHeader(std::string_view name) {
  switch (name.size()) {  // by length first: every field of every message is asked
    case 10:
      return EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "keep-alive");
    case 14:
      return EqualsIgnoreCase(name, "content-length");
    case 17:
      return EqualsIgnoreCase(name, "transfer-encoding");
    default:
      return false;
  }
}

void HeaderList::Add(std::string_view name, std::string_view value) {
  if (size_ == fields_.size()) {
    if (fields_.empty()) fields_.reserve(16);  // a typical response's fields, one allocation
    fields_.emplace_back();
  }
  auto& field = fields_[size_++];
  field.first.assign(name);
  field.second.assign(value);
}

std::pair<std::string, std::string>& HeaderList::AddEmpty() {
  if (size_ == fields_.size()) fields_.emplace_back();
  auto& field = fields_[size_++];
  field.first.clear();
  field.second.clear();
  return field;
}

const std::string* HeaderList::Find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (EqualsIgnoreCase(fields_[i].first, name)) return &fields_[i].second;
  }
  return nullptr;
}

void HeaderList::Remove(std::string_view name) {
  size_t kept = 0;
  for (size_t i = 0; i < size_; ++i) {
    if (EqualsIgnoreCase(fields_[i].first, name)) continue;
    if (kept != i) fields_[kept].swap(fields_[i]);  // removed fields become spares
    ++kept;
  }
  size_ = kept;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 425:
      return "Too Early";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 529:
      return "Site Overloaded";
    default:
      return "Unknown";
  }
}

}  // namespace edge::net
