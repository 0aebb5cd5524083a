#pragma once

// A deliberately simple, blocking HTTP/1.1 client for end-to-end tests: it sends exactly
// the bytes a test gives it (so tests can send malformed or hostile input) and decodes
// Content-Length, chunked and close-delimited answers.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge::e2e {

using namespace std::chrono_literals;

struct Response {
  int status = 0;
  std::string version;                         // "HTTP/1.1"
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // de-chunked
  bool chunked = false;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Connection {
 public:
  static std::unique_ptr<Connection> Open(uint16_t port, const std::string& host = "127.0.0.1");
  ~Connection();

  bool Send(std::string_view bytes);
  // One response; nullopt on timeout, reset or a connection closed before a whole response.
  std::optional<Response> ReadResponse(std::chrono::milliseconds timeout = 10s);
  // Reads the head, then body bytes until `needle` has been seen or the timeout passes.
  std::string ReadUntil(std::string_view needle, std::chrono::milliseconds timeout = 10s);
  // True when the peer closed (read returned 0 or reset) within the timeout.
  bool WaitClosed(std::chrono::milliseconds timeout = 10s);
  // Closes with RST instead of FIN.
  void Reset();
  void SetReceiveBuffer(int bytes);
  int fd() const { return fd_; }

 private:
  explicit Connection(int fd) : fd_(fd) {}
  // Reads more bytes into buf_; false on EOF/error/timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

// A request with Content-Length on a fresh connection, read to the end.
std::optional<Response> Request(uint16_t port, const std::string& method, const std::string& path,
                                const std::map<std::string, std::string>& headers = {},
                                const std::string& body = {},
                                std::chrono::milliseconds timeout = 30s);

// The bytes of a request with Content-Length.
std::string RequestBytes(const std::string& method, const std::string& path,
                         const std::map<std::string, std::string>& headers,
                         const std::string& body);

// One server-sent event: its `event:` field ("" when absent) and its `data:` lines joined
// with '\n'.
struct SseEvent {
  std::string event;
  std::string data;
};

// The events of an SSE body, in order (events without data are left out).
std::vector<SseEvent> SseEvents(const std::string& body);

// The `data:` payloads of an SSE body, in order.
std::vector<std::string> SseData(const std::string& body);

// A chat completion request body.
std::string ChatBody(const std::string& model, bool stream, bool include_usage = false,
                     const std::string& content = "Say hello to the edge");

}  // namespace edge::e2e
