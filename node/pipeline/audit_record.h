#pragma once

// The routing audit record of a finished request (ledger/audit_record.h), from what the
// stages left on the context: the caller's placement (stage_jurisdiction), the routing
// decision (node/routing/decision.h) and how the request ended. docs/audit.md lists the fields.

#include <string>
#include <vector>

#include "ledger/audit_record.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// What a record needs that the context keeps in no string or list of its own.
struct AuditRecordScratch {
  std::string caller;  // the caller's address, spelled out
  std::vector<ledger::AuditCandidateRef> candidates;
  std::vector<ledger::AuditAttemptRef> attempts;
};

// The record as views into `ctx` and `*scratch` (overwritten; one kept from request to request
// keeps its memory), valid while both are. `now_wall_us`: when the request ended (UTC µs).
ledger::AuditRecordRef AuditRecordOf(const RequestContext& ctx, int64_t now_wall_us,
                                     AuditRecordScratch* scratch);

// Adds the request's audit record to its ledger commit (ctx.commit_parts), so that the record
// is in the WAL before the response's last bytes are released. Requests the ledger does not
// commit (no key: refused before authentication; GET /v1/models) have no routing to record.
void AddAuditRecord(RequestContext& ctx);

}  // namespace edge::pipeline
