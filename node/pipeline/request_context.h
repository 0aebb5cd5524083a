#pragma once

// The state of one client request from the moment it is complete until finalize. It is the
// exchange's observer (client writable / gone) and the upstream call's handler, so every
// event of the request arrives here and is passed to the stage that owns it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "geo/geo.h"
#include "ledger/budgets.h"
#include "ledger/job_part.h"
#include "node/net/http_server.h"
#include "node/net/upstream_client.h"
#include "node/routing/router.h"
#include "node/runtime/access_log.h"
#include "node/runtime/deferred_delete.h"
#include "node/runtime/snapshot.h"
#include "node/runtime/usage_metrics.h"
#include "node/pipeline/held_exchange.h"
#include "node/pipeline/stream_relay.h"
#include "providers/adapter.h"
#include "providers/api/client_api.h"
#include "providers/usage_estimate.h"

namespace edge::ledger {
class JournalRing;
class LoopInbox;
}
namespace edge::runtime {
class LedgerService;
}

namespace edge::pipeline {

class KeyCache;

// What every worker's pipeline shares; lives as long as the worker.
struct WorkerServices {
  const runtime::SnapshotSource* snapshots = nullptr;
  net::UpstreamClient* upstream = nullptr;
  runtime::DeferredDeleter* deleter = nullptr;
  KeyCache* key_cache = nullptr;
  runtime::UsageMetrics::Shard* metrics = nullptr;  // this worker's; null in unit tests
  runtime::LedgerService* ledger = nullptr;         // null: no ledger (unit tests)
  ledger::LoopInbox* ledger_inbox = nullptr;        // this worker's loop's inbox
  runtime::AccessLog::Buffer* access_log = nullptr;  // this worker's; null: log.access off
  runtime::SnapshotCache* snapshot_cache = nullptr;  // this worker's; null: read `snapshots`
  ledger::JournalRing* journal = nullptr;  // this worker's commit journal; null: none
};

// What the budget stage reserved, settled by finalize (stage_budget.cc).
struct BudgetHold {
  ledger::Account* key = nullptr;   // accounts that admitted the request; null when none
  ledger::Account* team = nullptr;
  int64_t estimate_micros = 0;
  int64_t estimate_tokens = 0;  // taken from the tpm buckets
};

// The client-facing API a request came in on.
enum class Api { kChatCompletions, kEmbeddings, kModels, kMessages, kResponses };

// How an attempt talks to its deployment: untouched but for the model when the client
// speaks the provider's own API, else translated through the canonical form.
enum class Mode { kOpenAiPassthrough, kAnthropicPassthrough, kResponsesPassthrough, kTranslated };

// The attribution of a request: from the key's defaults, overridden by X-Edge-* headers.
struct Tags {
  std::string team, feature, env;
  std::string extra;  // X-Edge-Tags as sent, validated: "k=v,k2=v2"
};

// Where the caller's data may go, and how that was decided (X-Edge-Jurisdiction).
struct Jurisdiction {
  std::string name;    // "EU", or empty when unplaced
  std::string source;  // key | ip | node | header
};

// What a stage tells the pipeline.
enum class Next {
  kContinue,  // go on to the next stage
  kPending,   // the stage answers later (upstream in flight)
  kReplied,   // the request is answered; go to finalize
};

class RequestContext final : public net::ExchangeObserver,
                             public net::UpstreamHandler,
                             public runtime::Deferrable {
 public:
  RequestContext(const WorkerServices& services, net::ServerExchange& exchange, Api api);
  ~RequestContext() override;

  // ExchangeObserver
  void OnWritable(net::ServerExchange& ex) override;
  void OnAborted(net::ServerExchange& ex) override;
  // UpstreamHandler
  void OnResponseHead(int status, const net::HeaderList& headers) override;
  void OnResponseBody(std::string_view data) override;
  void OnResponseLastBody(std::string_view data) override;
  void OnResponseComplete() override;
  void OnError(const Status& status, bool head_received) override;

  // Overhead bookkeeping: the node's own time, upstream waits excluded.
  void StartOwnTime();
  void StopOwnTime();

  const WorkerServices& services;
  std::shared_ptr<const runtime::Snapshot> snapshot;
  std::string request_id;
  net::ServerExchange* exchange;  // null once the response ended or the client went away
  Api api;

  const providers::api::ClientApi* client_api;  // the shape of answers and errors
  const config::VirtualKey* key = nullptr;
  Tags tags;
  Jurisdiction jurisdiction;
  // Who the caller is (stage_jurisdiction): the socket peer, or the client a trusted proxy
  // named in X-Forwarded-For / Forwarded; invalid when a trusted proxy's header could not be
  // read. geo::ToString() gives its text. The country is empty when the database has none.
  geo::IpAddress caller_address;
  geo::Country caller_country;
  // The request in canonical form; openai_body stays empty when the client's body already is
  // one (chat completions), see CanonicalBody().
  providers::api::CanonicalRequest request;
  std::string stateful_feature;    // a Responses feature only OpenAI itself can serve
  // The client's body was validated whole by openai::InspectRequest (stage_body), so a
  // passthrough whose "model" already names the deployment's model sends it unchanged.
  bool body_inspected = false;
  std::optional<providers::RequestEstimate> body_estimate;  // from that inspection's parse
  // responses.store (stored_responses.h): the stored state the request names was resolved,
  // so ctx.request is the whole conversation and any provider may take it; or why it could
  // not be (the id is not stored here), refused for every deployment but OpenAI's.
  bool state_resolved = false;
  std::string state_error;
  std::string state_error_code;
  bool state_read_pending = false;  // the store read's job will resume or complete the request
  std::string store_input;  // input items kept with a translated answer (a JSON array)
  // The routing of this request (node/routing): route.decision is what the audit reads.
  routing::Route route;
  size_t deployment_index = 0;
  const config::Deployment* deployment = nullptr;
  Mode mode = Mode::kTranslated;
  int attempts = 0;
  int64_t attempt_started_us = 0;  // NowMicros() when the current attempt started
  int64_t first_byte_us = 0;       // ... and when its response head arrived
  std::optional<providers::ProviderError> last_error;  // of the previous failed attempt

  std::unique_ptr<net::UpstreamCall> call;
  bool upstream_done = false;  // the call ended, failed or was cancelled
  // upstream_done, or the answer's last bytes arrived with its end (OnResponseLastBody): what
  // is relayed from here on is the response's tail, held with its end (held_exchange.h).
  bool upstream_ending = false;
  int upstream_status = 0;
  std::string upstream_content_type;
  providers::RetryHeaders upstream_retry;
  std::string upstream_body;  // non-streaming answers and upstream error bodies
  std::unique_ptr<StreamRelay> relay;  // set when a stream's 2xx head arrived
  std::string held;                    // relay output held back until content flows
  std::string relay_out;               // the relay's output for one upstream read, reused
  bool streaming_to_client = false;    // the client's response head was sent
  std::optional<providers::Usage> usage;

  // Ledger: the response's last bytes wait for the record (held_exchange.h); the budget
  // reservation; parts other modules add to the request's commit (the audit record). The hold
  // lives in the context (no allocation of its own): its address is the request's exchange.
  std::optional<HeldExchange> response_hold;
  BudgetHold budget;
  std::vector<std::unique_ptr<ledger::JobPart>> commit_parts;
  bool commit_pending = false;  // the ledger's job owns the context until it is written

  Status outcome;  // ok, or why the request failed / was cut
  int reply_status = 0;
  int64_t overhead_us = 0;
  int64_t own_time_started_us = 0;
  // For GET /metrics and the access log (finalize.cc): when the request's first byte was read,
  // when its answer's head went out (0: none did), and the node's own time until then (the
  // X-Edge-Overhead-Us of a successful answer).
  int64_t started_us = 0;
  int64_t head_sent_us = 0;
  int64_t reply_overhead_us = -1;
  bool finalized = false;
};

// The request body in OpenAI chat form.
std::string_view CanonicalBody(const RequestContext& ctx);

// Monotonic microseconds on the same clock as HttpRequest::started_us: the event's
// (common/event_clock.h), or a fresh reading for a duration within one event.
int64_t NowMicros();
int64_t FreshNowMicros();

}  // namespace edge::pipeline
