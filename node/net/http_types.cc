#include "node/net/http_types.h"

namespace edge::net {

namespace {

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

void HeaderList::Add(std::string name, std::string value) {
  if (size_ < fields_.size()) {
    fields_[size_] = {std::move(name), std::move(value)};
  } else {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  ++size_;
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
