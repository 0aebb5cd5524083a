// HttpServer: the listener, the set of connections, and shutdown. Connections do the rest
// (server_connection.cc, server_exchange.cc).

#include "node/net/http_server.h"

#include <unistd.h>

#include "node/net/server_connection.h"

namespace edge::net {

namespace {

constexpr int kBacklog = 4096;

// The listening handle lives apart from the server so that its memory can outlast a server
// destroyed before the handle's close callback ran.
struct Listener {
  uv_tcp_t tcp{};
  class HttpServerImpl* server = nullptr;
};

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(ServerOptions options, RequestHandler* handler) {
    core_.options = std::move(options);
    core_.parser_limits.max_body_bytes = core_.options.limits.max_body_bytes;
    core_.parser_limits.max_header_bytes = core_.options.limits.max_header_bytes;
    core_.parser_limits.max_header_fields = core_.options.limits.max_header_fields;
    core_.handler = handler;
  }

  ~HttpServerImpl() override {
    if (listener_ != nullptr) {
      listener_->server = nullptr;
      CloseListener();
    }
    // Whatever is still open is cut off and forgets us; its close callbacks free it.
    for (ServerConnection* c = core_.connections; c != nullptr;) {
      ServerConnection* next = c->next;
      c->Detach();
      c->ForceClose();
      c = next;
    }
  }

  Status Listen(uv_loop_t* loop, int fd) {
    listener_ = new Listener;
    listener_->server = this;
    uv_tcp_init(loop, &listener_->tcp);
    listener_->tcp.data = listener_;
    int r = uv_tcp_open(&listener_->tcp, fd);
    if (r != 0) {
      ::close(fd);  // the handle did not take it
      CloseListener();
      return Internal(std::string("uv_tcp_open: ") + uv_strerror(r));
    }
    r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_->tcp), kBacklog, OnConnection);
    if (r != 0) {
      CloseListener();
      return Unavailable(std::string("listen: ") + uv_strerror(r));
    }
    core_.listener_open = true;
    return Status::Ok();
  }

  void BeginShutdown(std::function<void()> on_drained) override {
    core_.shutting_down = true;
    core_.on_drained = std::move(on_drained);
    if (listener_ != nullptr) {
      CloseListener();  // on_drained waits for its close callback, so never runs in here
    } else {
      core_.MaybeDrained();
    }
    for (ServerConnection* c = core_.connections; c != nullptr; c = c->next) c->BeginShutdown();
  }

  void ForceClose() override {
    core_.shutting_down = true;
    if (listener_ != nullptr) CloseListener();
    for (ServerConnection* c = core_.connections; c != nullptr; c = c->next) c->ForceClose();
  }

  size_t open_connections() const override { return core_.count; }

 private:
  void CloseListener() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_->tcp), OnListenerClosed);
    listener_ = nullptr;
  }

  static void OnListenerClosed(uv_handle_t* handle) noexcept {
    auto* l = static_cast<Listener*>(handle->data);
    HttpServerImpl* server = l->server;
    delete l;
    if (server != nullptr) {
      server->core_.listener_open = false;
      server->core_.MaybeDrained();  // may destroy the server: nothing after this
    }
  }

  static void OnConnection(uv_stream_t* stream, int status) noexcept {
    auto* l = static_cast<Listener*>(stream->data);
    if (status < 0 || l->server == nullptr) return;  // EMFILE and the like: libuv retries
    ServerConnection::Accept(stream, &l->server->core_);
  }

  ServerCore core_;
  Listener* listener_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Create(uv_loop_t* loop, int fd,
                                                       ServerOptions options,
                                                       RequestHandler* handler) {
  auto server = std::make_unique<HttpServerImpl>(std::move(options), handler);
  Status s = server->Listen(loop, fd);
  if (!s.ok()) return s;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace edge::net
