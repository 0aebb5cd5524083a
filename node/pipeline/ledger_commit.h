#pragma once

// The end of a request in the ledger: settle its budget reservation with the real cost, then
// submit its record (and the parts other modules added, e.g. the audit record) to the ledger
// writer. The context stays alive, its response's last bytes held (held_exchange.h), until
// the write is in the WAL; then the bytes are released and the context deleted.

#include "ledger/record.h"
#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// The request's record as finalize sees it. `model` is the metrics' model label.
ledger::Record BuildRecord(const RequestContext& ctx, std::string_view model);

// Settles the budget and submits the record; sets ctx.commit_pending when the ledger took
// the context (it then deletes it). Without a ledger, or for a request that is not billed
// (no key: refused before authentication; GET /v1/models), does nothing.
void CommitToLedger(RequestContext& ctx, ledger::Record record);

}  // namespace edge::pipeline
