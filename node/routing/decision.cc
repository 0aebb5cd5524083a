#include "node/routing/decision.h"

namespace edge::routing {

std::string_view ExclusionName(Exclusion e) {
  switch (e) {
    case Exclusion::kNone: return "none";
    case Exclusion::kResidency: return "residency";
    case Exclusion::kVision: return "vision";
    case Exclusion::kTools: return "tools";
    case Exclusion::kResponseSchema: return "response_schema";
    case Exclusion::kContextWindow: return "context_window";
  }
  return "none";
}

std::string_view AttemptOutcomeName(AttemptOutcome o) {
  switch (o) {
    case AttemptOutcome::kPending: return "pending";
    case AttemptOutcome::kOk: return "ok";
    case AttemptOutcome::kRetryableStatus: return "retryable_status";
    case AttemptOutcome::kRejected: return "rejected";
    case AttemptOutcome::kConnectError: return "connect_error";
    case AttemptOutcome::kTimeout: return "timeout";
    case AttemptOutcome::kCancelled: return "cancelled";
    case AttemptOutcome::kNotExpressible: return "not_expressible";
  }
  return "pending";
}

std::string_view RefusalName(Refusal r) {
  switch (r) {
    case Refusal::kNone: return "none";
    case Refusal::kNoDeployment: return "no_deployment";
    case Refusal::kRetriesExhausted: return "retries_exhausted";
    case Refusal::kRetryBudget: return "retry_budget";
  }
  return "none";
}

}  // namespace edge::routing
