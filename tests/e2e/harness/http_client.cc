#include "tests/e2e/harness/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace edge::e2e {

std::unique_ptr<Connection> Connection::Open(uint16_t port, const std::string& host) {
  bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &a.sin6_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<Connection>(new Connection(fd));
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

bool Connection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Connection::Reset() {
  linger l{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd_);
  fd_ = -1;
}

void Connection::SetReceiveBuffer(int bytes) {
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

bool Connection::Fill(std::chrono::steady_clock::time_point deadline) {
  if (eof_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char tmp[65536];
  ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

bool Connection::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    if (!Fill(deadline) && !eof_) return false;
  }
  return true;
}

std::string Connection::ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buf_.find(needle) == std::string::npos && Fill(deadline)) {
  }
  std::string out;
  out.swap(buf_);
  return out;
}

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<Response> Connection::ReadResponse(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Response r;
  size_t head_end;
  while (true) {
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    // Parse the status line and headers.
    std::string head = buf_.substr(0, head_end);
    buf_.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    r = Response{};
    r.version = status_line.substr(0, status_line.find(' '));
    r.status = std::atoi(status_line.c_str() + r.version.size() + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[Lower(line.substr(0, colon))] = value;
      }
      pos = e + 2;
    }
    if (r.status >= 200 || r.status == 101) break;  // skip 100 Continue
  }
  if (r.headers.count("content-length")) {
    size_t len = std::stoul(r.headers["content-length"]);
    while (buf_.size() < len) {
      if (!Fill(deadline)) return std::nullopt;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else if (Lower(r.Header("transfer-encoding")).find("chunked") != std::string::npos) {
    r.chunked = true;
    while (true) {
      size_t e;
      while ((e = buf_.find("\r\n")) == std::string::npos) {
        if (!Fill(deadline)) return std::nullopt;
      }
      size_t size = std::stoul(buf_.substr(0, e), nullptr, 16);
      while (buf_.size() < e + 2 + size + 2) {
        if (!Fill(deadline)) return std::nullopt;
      }
      r.body.append(buf_, e + 2, size);
      buf_.erase(0, e + 2 + size + 2);
      if (size == 0) break;
    }
  } else if (r.status != 204 && r.status != 304) {
    while (Fill(deadline)) {
    }
    if (!eof_) return std::nullopt;
    r.body.swap(buf_);
  }
  return r;
}

std::string RequestBytes(const std::string& method, const std::string& path,
                         const std::map<std::string, std::string>& headers,
                         const std::string& body) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  return req;
}

std::optional<Response> Request(uint16_t port, const std::string& method, const std::string& path,
                                const std::map<std::string, std::string>& headers,
                                const std::string& body, std::chrono::milliseconds timeout) {
  auto c = Connection::Open(port);
  if (!c || !c->Send(RequestBytes(method, path, headers, body))) return std::nullopt;
  return c->ReadResponse(timeout);
}

std::vector<SseEvent> SseEvents(const std::string& body) {
  std::vector<SseEvent> out;
  SseEvent current;
  bool has_data = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t e = body.find('\n', pos);
    if (e == std::string::npos) e = body.size();
    std::string line = body.substr(pos, e - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto field = [&](const char* name) {
      std::string v = line.substr(std::string(name).size());
      if (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    };
    if (line.empty()) {  // the end of an event
      if (has_data) out.push_back(current);
      current = SseEvent();
      has_data = false;
    } else if (line.rfind("data:", 0) == 0) {
      if (has_data) current.data += '\n';
      current.data += field("data:");
      has_data = true;
    } else if (line.rfind("event:", 0) == 0) {
      current.event = field("event:");
    }
    pos = e + 1;
  }
  if (has_data) out.push_back(current);
  return out;
}

std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  for (SseEvent& e : SseEvents(body)) out.push_back(std::move(e.data));
  return out;
}

std::string ChatBody(const std::string& model, bool stream, bool include_usage,
                     const std::string& content) {
  std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":")" +
                     content + R"("}])";
  if (stream) body += R"(,"stream":true)";
  if (include_usage) body += R"(,"stream_options":{"include_usage":true})";
  body += "}";
  return body;
}

}  // namespace edge::e2e
