// X-Forwarded-For and Forwarded (RFC 7239) parsing, and the right-to-left walk over the hops.
// The walk is the one nginx's realip module (real_ip_recursive on) and Envoy's
// xff_trusted_cidrs use: skip trusted proxies from the right, the first other address is the
// client. Header bytes come from the network: every byte is checked, nothing allocates.

#include <charconv>
#include <cstring>

#include "geo/geo.h"

namespace edge::geo {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigits(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsPort(std::string_view s) {
  int port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return IsDigits(s, 5) && ec == std::errc() && end == s.data() + s.size() && port <= 65535;
}

// RFC 7239 obfport: "_" 1*(ALPHA / DIGIT / "." / "_" / "-").
bool IsObfuscated(std::string_view s) {
  if (s.size() < 2 || s[0] != '_') return false;
  for (char c : s.substr(1)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]", "[2001:db8::1]:80", or (X-Forwarded-For only)
// a bare "2001:db8::1". Invalid for anything else, `unknown` and obfuscated names included.
IpAddress ParseNode(std::string_view s, bool bare_v6_allowed) {
  IpAddress a;
  if (s.empty()) return a;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return a;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !(IsPort(rest.substr(1)) ||
                                                   IsObfuscated(rest.substr(1))))) {
      return a;
    }
    std::string_view inner = s.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos || !ParseIp(inner, &a)) return IpAddress();
    return a;
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos) {
    if (bare_v6_allowed) ParseIp(s, &a);  // two colons: IPv6 without brackets
    return a;
  }
  std::string_view host = s.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (!IsPort(port) && !IsObfuscated(port)) return a;
  }
  ParseIp(host, &a);  // no ':' left: only a strict dotted quad parses
  return a;
}

// RFC 9110 tchar.
bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

// Reads a Forwarded field one RFC 7239 forwarded-element at a time: pairs (token "=" token /
// quoted-string) separated by ';', elements by ','; OWS tolerated around both.
class ElementReader {
 public:
  explicit ElementReader(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ >= s_.size(); }

  // One element; false on a syntax error.
  bool Next(IpAddress* for_address) {
    *for_address = IpAddress();
    int fors = 0;
    SkipOws();
    while (true) {
      if (pos_ < s_.size() && (s_[pos_] == ';' || s_[pos_] == ',')) {
        // an empty pair
      } else if (pos_ < s_.size()) {
        size_t name_start = pos_;
        while (pos_ < s_.size() && IsTchar(s_[pos_])) ++pos_;
        std::string_view name = s_.substr(name_start, pos_ - name_start);
        if (name.empty() || pos_ >= s_.size() || s_[pos_] != '=') return false;
        ++pos_;
        std::string_view value;
        if (!ReadValue(&value)) return false;
        if (name.size() == 3 && (name[0] | 0x20) == 'f' && (name[1] | 0x20) == 'o' &&
            (name[2] | 0x20) == 'r') {
          ++fors;
          *for_address = ParseNode(value, false);
        }
      }
      SkipOws();
      if (pos_ >= s_.size()) break;
      char c = s_[pos_++];
      SkipOws();
      if (c == ',') break;
      if (c != ';') return false;
    }
    if (fors != 1) *for_address = IpAddress();  // none, or a repeated parameter: unreadable
    return true;
  }

 private:
  void SkipOws() {
    while (pos_ < s_.size() && IsOws(s_[pos_])) ++pos_;
  }

  // token / quoted-string; the unquoted value is left in buf_ for quoted strings.
  bool ReadValue(std::string_view* value) {
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      size_t n = 0;
      bool too_long = false;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        char c = s_[pos_++];
        if (c == '\\') {
          if (pos_ >= s_.size()) return false;
          c = s_[pos_++];
        }
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return false;
        if (n < sizeof(buf_)) {
          buf_[n++] = c;
        } else {
          too_long = true;  // no address is this long: the value reads as unreadable
        }
      }
      if (pos_ >= s_.size()) return false;  // unterminated
      ++pos_;
      *value = too_long ? std::string_view("_too_long") : std::string_view(buf_, n);
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && IsTchar(s_[pos_])) ++pos_;
    *value = s_.substr(start, pos_ - start);
    return !value->empty();
  }

  std::string_view s_;
  size_t pos_ = 0;
  char buf_[64];
};

}  // namespace

void ForwardedHops::List::Push(IpAddress a) {
  ring[static_cast<size_t>(count % kMaxHops)].address = a;
  ++count;
}

const ForwardedHops::Hop& ForwardedHops::List::FromRight(int i) const {
  return ring[static_cast<size_t>((count - 1 - i) % kMaxHops)];
}

void ForwardedHops::AddXForwardedFor(std::string_view field_value) {
  // No quoting in X-Forwarded-For: elements are split at every comma. Empty elements are
  // allowed by the list syntax (RFC 9110 5.6.1) and skipped.
  while (true) {
    size_t comma = field_value.find(',');
    std::string_view element = Trim(field_value.substr(0, comma));
    if (!element.empty()) xff_.Push(ParseNode(element, true));
    if (comma == std::string_view::npos) break;
    field_value.remove_prefix(comma + 1);
  }
}

void ForwardedHops::AddForwarded(std::string_view field_value) {
  ElementReader reader(field_value);
  while (!reader.AtEnd()) {
    IpAddress a;
    if (!reader.Next(&a)) {
      // What follows cannot be split into elements: one unreadable hop stands for it, so the
      // walk stops there.
      forwarded_.Push(IpAddress());
      forwarded_.broken = true;
      return;
    }
    forwarded_.Push(a);
  }
}

void ForwardedHops::Clear() {
  xff_.count = 0;
  xff_.broken = false;
  forwarded_.count = 0;
  forwarded_.broken = false;
}

IpAddress ForwardedHops::Client(const IpAddress& peer, const CidrSet& trusted) const {
  const List& list = forwarded_.count > 0 ? forwarded_ : xff_;
  IpAddress caller = peer;
  int readable = list.count < kMaxHops ? list.count : kMaxHops;
  for (int i = 0; i < readable; ++i) {
    const IpAddress& hop = list.FromRight(i).address;
    if (!hop.valid()) return IpAddress();
    caller = hop;
    if (!trusted.Contains(hop)) return caller;
  }
  // Every hop we hold is a trusted proxy: past the ring's capacity the chain is unread.
  if (list.count > kMaxHops) return IpAddress();
  return caller;
}

}  // namespace edge::geo
