#pragma once

// The routing decision of one request, as plain data: which deployments were considered, why
// each one that was not eligible was left out, and every attempt made. It lives on the
// request context (RequestContext::routing.decision) from the route stage to finalize, where
// the audit record reads it. Field names are stable: the audit log depends on them.
//
// Strings are views into the request's config snapshot (RequestContext::snapshot), which
// outlives the request context; copy them to keep them longer.

#include <cstdint>
#include <string_view>
#include <vector>

namespace edge::routing {

// Why a deployment of the request's model groups was not eligible.
enum class Exclusion : uint8_t {
  kNone,             // eligible
  kResidency,        // hosted outside the caller's pinned jurisdiction (or unknown)
  kVision,           // the request has images; supports_vision is false
  kTools,            // the request has tools; supports_function_calling is false
  kResponseSchema,   // response_format json_schema; supports_response_schema is false
  kContextWindow,    // the estimated prompt exceeds max_input_tokens
};
std::string_view ExclusionName(Exclusion e);  // "none", "residency", "vision", ...

struct Candidate {
  std::string_view deployment_id;
  std::string_view model_name;    // the group it came from (the alias or a fallback alias)
  std::string_view jurisdiction;  // the endpoint's; "" = unknown
  uint32_t deployment_index = 0;  // into Config::model_list
  Exclusion excluded = Exclusion::kNone;
};

// How one attempt ended.
enum class AttemptOutcome : uint8_t {
  kPending,          // still running (or the request ended before it did)
  kOk,               // a 2xx answer
  kRetryableStatus,  // 429, 529, 500, 502, 503, 504: counted for cooldown, retried
  kRejected,         // another non-2xx: the request's fault, passed to the client
  kConnectError,     // connection refused/reset, TLS failure, broken stream
  kTimeout,
  kCancelled,        // the client went away
  kNotExpressible,   // the request cannot be expressed for this provider; nothing was sent
};
std::string_view AttemptOutcomeName(AttemptOutcome o);  // "pending", "ok", "retryable_status", ...

struct Attempt {
  std::string_view deployment_id;
  std::string_view jurisdiction;  // the endpoint's; "" = unknown
  uint32_t deployment_index = 0;
  int64_t started_unix_ms = 0;
  int64_t duration_ms = 0;
  int upstream_status = 0;  // 0: no HTTP answer
  AttemptOutcome outcome = AttemptOutcome::kPending;
  bool probe = false;     // the one request let through to a deployment after its cooldown
  bool fallback = false;  // to a group other than the requested alias
};

// Why the router gave up before an answer, when it did.
enum class Refusal : uint8_t {
  kNone,
  kNoDeployment,          // nothing eligible at all (residency, capabilities)
  kRetriesExhausted,      // num_retries reached, or every eligible deployment tried
  kRetryBudget,           // the node-wide retry budget refused another attempt
};
std::string_view RefusalName(Refusal r);

struct Decision {
  std::string_view strategy;             // router_settings.routing_strategy
  std::string_view pinned_jurisdiction;  // "" = the caller is not pinned
  std::vector<Candidate> candidates;     // every deployment of every group considered, in order
  std::vector<Attempt> attempts;
  Refusal refusal = Refusal::kNone;
};

}  // namespace edge::routing
