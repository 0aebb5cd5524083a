#include "node/cli/admin_get.h"

#include <uv.h>

#include "node/net/upstream_client.h"

namespace edge::cli {
namespace {

class Collector : public net::UpstreamHandler {
 public:
  void OnResponseHead(int status, const net::HeaderList&) override { response.status = status; }
  void OnResponseBody(std::string_view data) override {
    if (response.body.size() + data.size() > (64u << 20)) {
      error = Unavailable("admin answer larger than 64 MiB");
      return;
    }
    response.body.append(data);
  }
  void OnResponseComplete() override { done = true; }
  void OnError(const Status& status, bool) override {
    error = status;
    done = true;
  }
  AdminResponse response;
  Status error;
  bool done = false;
};

}  // namespace

Result<AdminResponse> AdminGet(const std::string& base_url, const std::string& path_and_query,
                               const std::string& admin_key, uint32_t timeout_ms) {
  EDGE_ASSIGN_OR_RETURN(net::ParsedUrl url, net::ParseUrl(base_url));
  if (url.origin.https) {
    EDGE_ASSIGN_OR_RETURN(url.origin.tls, net::TlsClientContext::Create(true, ""));
  }
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return Internal("uv_loop_init failed");
  Collector collector;
  {
    auto client = net::UpstreamClient::Create(&loop, net::PoolOptions{});
    net::UpstreamRequest req;
    req.origin = url.origin;
    req.method = "GET";
    req.path = url.path + path_and_query;
    req.headers.Add("Authorization", "Bearer " + admin_key);
    req.headers.Add("Accept", "application/json");
    req.timeouts = {timeout_ms, timeout_ms, timeout_ms};
    auto call = client->Start(std::move(req), &collector);
    // The pool would keep the connection (and the loop) alive: run until the exchange ends.
    while (!collector.done && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    call.reset();
    client->Close([] {});
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  if (!collector.error.ok()) {
    return Status(collector.error.code(), base_url + ": " + collector.error.message());
  }
  if (!collector.done) return Unavailable(base_url + ": no answer");
  return collector.response;
}

}  // namespace edge::cli
