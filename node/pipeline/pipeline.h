#pragma once

// The client API's request handler: every request on the client listener enters here and
// runs the stages of stages.h in order. See node/README.md for the whole path.

#include "node/net/http_server.h"
#include "node/pipeline/key_cache.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

class ClientApiHandler : public net::RequestHandler {
 public:
  explicit ClientApiHandler(WorkerServices services) : services_(services) {
    services_.key_cache = &key_cache_;
  }
  ClientApiHandler(const ClientApiHandler&) = delete;  // services_ points into it
  ClientApiHandler& operator=(const ClientApiHandler&) = delete;
  void OnRequest(net::ServerExchange& ex) override;

 private:
  KeyCache key_cache_;
  WorkerServices services_;
};

// Runs Finalize once and hands the context to the deferred deleter. Called by whichever
// event ends the request: a stage's reply, the upstream's end, or the client's abort.
void CompleteRequest(RequestContext& ctx);

// Runs the stages after ResolveStoredResponses, which answered kPending (its store read is
// back), and completes the request when one of them replies.
void ResumeAfterStoredState(RequestContext& ctx);

}  // namespace edge::pipeline
