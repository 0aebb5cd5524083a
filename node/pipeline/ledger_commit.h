#pragma once

// The end of a request in the ledger: settle its budget reservation with the real cost, then
// submit its record (and the parts other modules added, e.g. the audit record) to the ledger
// writer. The response's last bytes are held (held_exchange.h) until the record is durable:
// copied into the worker's journal (ledger/journal_ring.h; released once the job is handed to
// the writer) or, when the journal cannot take it, written to the WAL. The context is deleted
// once the write is done.

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
