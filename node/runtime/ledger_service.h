#pragma once

// The node's ledger: the RocksDB store under node.data_dir/ledger, its writer thread, the
// record filler that runs on it, and the budget book shared by the workers. One per process,
// made by serve before the workers start and destroyed after they exited (the writer drains
// every queued record first). ledger/README.md explains the store and the writer.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "ledger/audit_log.h"
#include "ledger/budgets.h"
#include "ledger/journal_ring.h"
#include "ledger/recorder.h"
#include "ledger/store.h"
#include "ledger/usage_summary.h"
#include "ledger/writer.h"

namespace edge::runtime {

struct LedgerCounters {
  std::atomic<uint64_t> records{0};           // records written
  std::atomic<uint64_t> write_failures{0};    // records the store refused
  std::atomic<uint64_t> unbilled{0};          // requests served although their record failed
  std::atomic<uint64_t> refused_store{0};     // requests refused (503) for a failing store
  std::atomic<uint64_t> budget_refusals{0};   // 429 for a used-up budget
  std::atomic<uint64_t> rate_refusals{0};     // 429 for rpm / tpm
  std::atomic<uint64_t> soft_warnings{0};     // soft budget thresholds crossed
};

class LedgerService {
 public:
  // Opens the store read-write (creating it), starts the writer, sets the budgets from `cfg`
  // and loads this month's spend per key and team from the roll-ups. On a read-only data dir
  // the existing store is opened read-only and the service starts failing (docs/ledger.md).
  static Result<std::unique_ptr<LedgerService>> Open(const config::Config& cfg,
                                                     int64_t now_wall_micros);
  // Stops the writer (drains), closes the store; a store still failing is not closed (RocksDB
  // would abort closing a WAL whose append failed; see ledger_service.cc).
  ~LedgerService();

  // Budgets and limits of every key and team (start-up and reload). Any thread.
  void ApplyConfig(const config::Config& cfg);

  ledger::Store& store() { return *store_; }
  const ledger::Store& store() const { return *store_; }
  ledger::Writer& writer() { return *writer_; }
  ledger::Recorder& recorder() { return recorder_; }  // writer thread only
  // The usage summary the federation gossips (ledger/usage_summary.h); null when
  // federation is off (the writer then does not keep it).
  ledger::UsageSummary* summary() { return summary_enabled_ ? &summary_ : nullptr; }
  ledger::BudgetBook& budgets() { return budgets_; }
  const ledger::BudgetBook& budgets() const { return budgets_; }
  LedgerCounters& counters() { return counters_; }
  const LedgerCounters& counters() const { return counters_; }
  bool refuse_on_error() const { return refuse_on_error_.load(std::memory_order_relaxed); }

  // The outcome of a write (any thread): a failure marks the store failing until a write
  // succeeds again.
  void ReportWrite(const Status& s);
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  // While failing, at most once a second, a small write that lets the store recover (a
  // refusing node writes no records, so nothing else would try).
  void MaybeProbe(int64_t now_us);

  // The routing audit log (runtime/audit_service.h), whose records join each request's commit;
  // null when there is none. Set by serve before the workers start.
  void set_audit(ledger::AuditLog* audit) { audit_ = audit; }
  ledger::AuditLog* audit() const { return audit_; }

  // The workers' commit journals (ledger/journal_ring.h, docs/ledger.md "Durability"): writes
  // what a previous process left in them (and counts it into the budgets), then makes one ring
  // per worker. After set_audit, before the workers start. Without a journal (a store that is
  // not writable, a journal that cannot be made or replayed: logged) each response waits for
  // its round, as with ledger.on_error: refuse.
  void StartJournals(const config::Config& cfg, unsigned workers, int64_t now_wall_micros);
  // Worker `index`'s ring, or null when there is none.
  ledger::JournalRing* journal(unsigned index) const {
    return index < journals_.size() ? journals_[index].get() : nullptr;
  }
  // Admin thread: waits (up to `timeout_ms`) until every commit handed to the writer before the
  // call is written, so that a query sees every request whose answer went out before it.
  void AwaitHandedOver(int timeout_ms) const;

 private:
  LedgerService() = default;
  Status LoadSpent(const config::Config& cfg, int64_t now_wall_micros);

  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<ledger::Writer> writer_;
  ledger::UsageSummary summary_;  // before recorder_: the writer's hook points at both
  bool summary_enabled_ = false;
  ledger::Recorder recorder_;
  ledger::BudgetBook budgets_;
  LedgerCounters counters_;
  std::atomic<bool> refuse_on_error_{false};
  std::atomic<bool> healthy_{true};
  std::atomic<int64_t> last_probe_us_{0};
  mutable std::mutex error_mu_;  // only on failures and on /readyz
  std::string last_error_;
  ledger::AuditLog* audit_ = nullptr;
  std::vector<std::unique_ptr<ledger::JournalRing>> journals_;  // by worker index
};

}  // namespace edge::runtime
