#include "node/pipeline/ledger_commit.h"

#include <rocksdb/write_batch.h>

#include "common/clock.h"
#include "ledger/journal_entry.h"
#include "ledger/journal_ring.h"
#include "ledger/loop_job.h"
#include "node/runtime/bench_switches.h"
#include "node/runtime/ledger_service.h"
#include "node/runtime/log.h"

namespace edge::pipeline {
namespace {

// One request's commit: the ledger record and its roll-ups, then the other modules' parts.
class CommitJob final : public ledger::LoopJob {
 public:
  // `journal`: the worker's ring holds this commit up to `journal_end` (the response goes out
  // once the job is handed to the writer); null: the response waits for the round.
  CommitJob(RequestContext& ctx, ledger::Record record, std::string encoded,
            ledger::JournalRing* journal, uint64_t journal_end)
      : LoopJob(*ctx.services.ledger_inbox),
        ctx_(ctx),
        svc_(*ctx.services.ledger),
        parts_(std::move(ctx.commit_parts)),
        record_(std::move(record)),
        encoded_(std::move(encoded)),
        billed_(record_.input_tokens != 0 || record_.output_tokens != 0 ||
                record_.cost_micros != 0 || !record_.priced),
        submitted_us_(NowMicros()),
        journal_(journal),
        journal_end_(journal_end) {
    if (ctx.services.metrics != nullptr) ctx.services.metrics->LedgerSubmitted();
    if (journal_ != nullptr) NotifyAfterHandOff();
  }

  // The record is in the worker's journal, which outlives a killed process, and the job in the
  // writer's queue, so that a query made after this answer arrives waits for it
  // (LedgerService::AwaitHandedOver): the answer may go.
  // A journaled commit's answer is out already: the writer may gather more before writing.
  bool Awaited() const override { return journal_ == nullptr; }

  void AfterHandOff() override {
    if (ctx_.response_hold) ctx_.response_hold->Release(true);
  }

  // The parts go last: once the audit part filled, its record is a link of the chain that
  // the next jobs build on, so nothing after it may fail this job alone (ledger/audit_log.h).
  Status Fill(rocksdb::WriteBatch& batch, ledger::Store& store) override {
    EDGE_RETURN_IF_ERROR(svc_.recorder().Fill(record_, encoded_, batch, store, &duplicate_));
    for (auto& part : parts_) EDGE_RETURN_IF_ERROR(part->Fill(batch, store));
    return Status::Ok();
  }

  // The outcome's counts and the store's health are settled here, on the writer thread, so
  // that a query that waited for the commits handed over before it (AwaitHandedOver: /readyz,
  // /metrics) sees them (the writer thread is the only one that bumps a shard's committed
  // counters).
  void OnWritten(const Status& status) override {
    for (auto& part : parts_) part->Written(status);
    svc_.ReportWrite(status);
    if (ctx_.services.metrics != nullptr) {
      ctx_.services.metrics->LedgerCommitted(NowMicros() - submitted_us_);
    }
    if (status.ok()) {
      svc_.counters().records.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    svc_.counters().write_failures.fetch_add(1, std::memory_order_relaxed);
    // serve: the client still gets its answer, unbilled (logged, counted). refuse: the client
    // never sees a complete answer whose record was not written, unless there was nothing to
    // bill in it. A journaled answer is out already (journaled only under serve).
    deliver_ = journal_ != nullptr || !svc_.refuse_on_error() || !billed_;
    if (deliver_) svc_.counters().unbilled.fetch_add(1, std::memory_order_relaxed);
    // Only the job that added the id to the recorder's recent set takes it out again: a
    // duplicate found it there (or stored) on behalf of the job that did.
    if (!duplicate_) svc_.recorder().Forget(record_.request_id);
  }

  void OnLoopDone(Status status) override {
    // Written or given up (serve: unbilled): either way not to be replayed.
    if (journal_ != nullptr) journal_->Release(journal_end_);
    if (!status.ok()) {
      svc_.MaybeProbe(NowMicros());  // lets the store resume once the cause is gone
      log::Error("ledger record not written",
                 {{"request_id", record_.request_id},
                  {"error", status.ToString()},
                  {"response", deliver_ ? "delivered unbilled" : "aborted"}});
    }
    if (ctx_.response_hold) ctx_.response_hold->Release(deliver_);
    ctx_.services.deleter->Delete(&ctx_);
  }

 private:
  RequestContext& ctx_;
  runtime::LedgerService& svc_;
  std::vector<std::unique_ptr<ledger::JobPart>> parts_;
  ledger::Record record_;
  std::string encoded_;  // EncodeRecord(record_), made on the worker
  bool billed_;
  bool duplicate_ = false;  // Fill found the id already recorded (writer thread)
  int64_t submitted_us_;    // llm_edge_ledger_commit_seconds
  ledger::JournalRing* journal_;
  uint64_t journal_end_;
  bool deliver_ = true;  // set by OnWritten (writer thread), read by OnLoopDone after it
};

// Copies the commit into the worker's journal when it can carry it: ledger.on_error is serve
// (refuse promises that no answer goes out before its record is in the store itself), the
// store is healthy, and every part is one the journal knows (the audit line; a stored
// Responses API conversation is not). Returns the entry's end, or 0 when the response must
// wait for its round.
uint64_t Journal(const RequestContext& ctx, const runtime::LedgerService& svc,
                 std::string_view encoded, ledger::JournalRing* ring) {
  if (ring == nullptr || svc.refuse_on_error() || !svc.healthy()) return 0;
  std::string_view tail;
  for (const auto& part : ctx.commit_parts) {
    std::optional<std::string_view> t = part->AuditTail();
    if (!t) return 0;
    tail = *t;
  }
  char* slot = ring->Reserve(ledger::JournalEntrySize(encoded, tail));
  if (slot == nullptr) return 0;  // full: the writer is behind, so this one waits
  ledger::WriteJournalEntry(slot, encoded, tail);
  return ring->Commit();
}

void Settle(RequestContext& ctx, int64_t cost_micros, int64_t tokens) {
  BudgetHold& b = ctx.budget;
  for (ledger::Account* a : {b.key, b.team}) {
    if (a == nullptr) continue;
    int64_t spent = a->Settle(b.estimate_micros, cost_micros);
    if (a->CrossedSoft(spent, cost_micros)) {
      ctx.services.ledger->counters().soft_warnings.fetch_add(1, std::memory_order_relaxed);
      log::Warn("soft budget threshold crossed",
                {{a->kind(), a->name()},
                 {"spent_usd", Money::FromMicros(spent).ToString()},
                 {"soft_budget_usd", Money::FromMicros(a->soft_micros().value_or(0)).ToString()}});
    }
    if (ledger::RateLimit* tpm = a->tpm()) tpm->Adjust(tokens - b.estimate_tokens);
  }
  b.key = b.team = nullptr;
}

}  // namespace

ledger::Record BuildRecord(const RequestContext& ctx, std::string_view model) {
  ledger::Record r;
  r.request_id = ctx.request_id;
  r.wall_micros = SystemClock().WallMicros();
  if (ctx.key != nullptr) r.key_id = ctx.key->id;
  r.team = ctx.tags.team;
  r.feature = ctx.tags.feature;
  r.env = ctx.tags.env;
  r.tags = ctx.tags.extra;
  r.model = model;
  if (ctx.deployment != nullptr) {
    r.deployment = ctx.deployment->id;
    r.provider = ctx.deployment->provider;
    r.endpoint_jurisdiction = ctx.deployment->jurisdiction;
  }
  if (ctx.snapshot != nullptr) r.region = ctx.snapshot->config.node.region;
  if (ctx.usage) {
    const providers::Usage& u = *ctx.usage;
    r.input_tokens = u.input_tokens;
    r.output_tokens = u.output_tokens;
    r.cached_input_tokens = u.cached_input_tokens;
    r.reasoning_tokens = u.reasoning_tokens;
    r.estimated = !u.reported;
    if (ctx.deployment != nullptr && ctx.deployment->price) {
      r.cost_micros = CostOf({u.input_tokens, u.output_tokens, u.cached_input_tokens},
                             *ctx.deployment->price)
                          .micros();
    } else {
      r.priced = false;  // tokens were used and nobody knows their price: never "free"
    }
  }
  int64_t started = ctx.response_hold         ? ctx.response_hold->started_us()
                    : ctx.exchange != nullptr ? ctx.exchange->request().started_us
                                              : 0;
  if (started > 0) r.latency_us = NowMicros() - started;
  r.status = ctx.reply_status;
  r.attempts = ctx.attempts;
  return r;
}

void CommitToLedger(RequestContext& ctx, ledger::Record record) {
  runtime::LedgerService* svc = ctx.services.ledger;
  if (svc == nullptr) return;
  Settle(ctx, record.cost_micros, record.input_tokens + record.output_tokens);
  // While the store fails, a request that billed nothing (refused, failed before any
  // provider call) is not worth a record that would fail too: it is answered at once.
  const bool billed = record.input_tokens != 0 || record.output_tokens != 0 ||
                      record.cost_micros != 0 || !record.priced;
  if (ctx.key == nullptr || ctx.api == Api::kModels || ctx.services.ledger_inbox == nullptr ||
      (!billed && !svc->healthy())) {
    if (ctx.response_hold) ctx.response_hold->Release(true);  // no record to wait for
    return;
  }
  // Measurement builds only: what the hold costs (bench/ledger_cost.sh); never in a node people run.
  if (ctx.response_hold && runtime::BenchWithout("hold")) ctx.response_hold->Release(true);
  if (ctx.response_hold) ctx.response_hold->Detach();
  ctx.commit_pending = true;
  ledger::JournalRing* ring = ctx.services.journal;
  std::string encoded = ledger::EncodeRecord(record);
  const uint64_t journal_end = Journal(ctx, *svc, encoded, ring);
  ctx.services.ledger_inbox->Submit(
      svc->writer(),
      std::make_unique<CommitJob>(ctx, std::move(record), std::move(encoded),
                                  journal_end != 0 ? ring : nullptr, journal_end));
}

}  // namespace edge::pipeline
