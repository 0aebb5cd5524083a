// HttpServer: the listener, the set of connections, and shutdown. Connections do the rest
// (server_connection.cc, server_exchange.cc).

#include "node/net/http_server.h"

#include <fcntl.h>
#include <unistd.h>

#include "node/net/server_connection.h"

namespace edge::net {

namespace {

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
    core_.balancer = core_.options.balancer;
    core_.balancer_slot = core_.options.balancer_slot;
  }

  ~HttpServerImpl() override {
    LeaveBalancer();
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
    r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_->tcp), kListenBacklog, OnConnection);
    if (r != 0) {
      CloseListener();
      return Unavailable(std::string("listen: ") + uv_strerror(r));
    }
    core_.listener_open = true;
    if (core_.balancer != nullptr) {
      loop_ = loop;
      core_.balancer->Register(core_.balancer_slot, loop, [this](int fd) { Adopt(fd); });
    }
    return Status::Ok();
  }

  void BeginShutdown(std::function<void()> on_drained) override {
    core_.shutting_down = true;
    LeaveBalancer();
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
    LeaveBalancer();
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
    l->server->AcceptOne(stream);
  }

  void AcceptOne(uv_stream_t* listener) {
    ConnectionBalancer* balancer = core_.balancer;
    if (balancer == nullptr) {
      ServerConnection::Accept(listener, &core_);
      return;
    }
    const size_t self = core_.balancer_slot;
    const size_t to = balancer->Pick(self);  // counts the connection for `to`
    if (to == self) {
      if (!ServerConnection::Accept(listener, &core_)) balancer->Closed(self);
      return;
    }
    // libuv accepts into a handle only: take the connection's fd out through a duplicate,
    // since closing the handle closes its own. Once per moved connection, not per request.
    auto* handle = new uv_tcp_t;
    uv_tcp_init(listener->loop, handle);
    int fd = -1;
    uv_os_fd_t own = -1;
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(handle)) == 0 &&
        uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &own) == 0) {
      fd = ::fcntl(own, F_DUPFD_CLOEXEC, 0);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    if (fd < 0) {
      balancer->Closed(to);  // the connection is lost (the client sees it closed)
      return;
    }
    if (balancer->HandOff(to, fd)) return;
    balancer->Move(to, self);  // that worker is shutting down: this one keeps it
    if (!ServerConnection::Adopt(listener->loop, fd, &core_)) balancer->Closed(self);
  }

  // A connection another worker accepted for this one (counted for it by Pick).
  void Adopt(int fd) {
    if (core_.shutting_down || !ServerConnection::Adopt(loop_, fd, &core_)) {
      if (core_.shutting_down) ::close(fd);
      core_.balancer->Closed(core_.balancer_slot);
    }
  }

  void LeaveBalancer() {
    if (core_.balancer == nullptr || loop_ == nullptr) return;
    core_.balancer->Unregister(core_.balancer_slot);
    loop_ = nullptr;
  }

  ServerCore core_;
  Listener* listener_ = nullptr;
  uv_loop_t* loop_ = nullptr;  // set while registered with the balancer
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
