#pragma once

// The store's one writer thread. Worker threads submit jobs; the writer takes everything
// queued, lets each job add its writes to ONE WriteBatch in submission order, writes the
// batch through the WAL in one call (group commit, as RocksDB's own write thread and
// PostgreSQL's commit_delay do), then tells every job how it went. See ledger/README.md.
//
// Threads: Submit() from any thread, lock-free (one CAS push). Job::Fill and Job::Done run on
// the writer thread only, so state they touch needs no lock if only they touch it.

#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/status.h"
#include "ledger/store.h"

namespace edge::ledger {

class Writer;

class Job {
 public:
  virtual ~Job() = default;

  // Writer thread, exactly once, in submission order (see Writer::Submit for what order
  // means across threads). Adds this job's writes to the round's batch; may read the store.
  // A non-ok return takes this job's writes back out of the batch (a savepoint) and fails
  // this job alone with that status; the other jobs of the round are unaffected.
  virtual Status Fill(rocksdb::WriteBatch& batch, Store& store) = 0;

  // Writer thread, exactly once, after the round's batch reached the WAL (`status` ok) or
  // failed, or with the Fill error, or kUnavailable when the writer was stopped before the
  // job was submitted. The job gets itself back: destroy it, or hand it on (LoopJob posts
  // itself to its loop). All Done calls of a round happen before the next round's first
  // Fill, so a job that keeps state across Fills (a sequence number, a hash chain) can roll
  // it back here when the write failed. Must not block.
  virtual void Done(std::unique_ptr<Job> self, Status status) = 0;

  // Whether someone waits for this job's outcome to go on (a held response, a query): the
  // writer does not linger (WriterOptions::linger_us) while such a job is queued. Any thread;
  // must not change once submitted.
  virtual bool Awaited() const { return true; }

  // Links `next` after this job, for Writer::SubmitChain (the chain owns its jobs).
  void Chain(Job* next) { next_ = next; }

 private:
  friend class Writer;
  Job* next_ = nullptr;  // the submission queue's link
};

// Optional per-round work on the writer thread, for writes that can be merged across the
// jobs of one round (the Recorder sums roll-up deltas of the same cell and writes one merge
// operand per cell instead of one per record). Between two Seal calls the hook sees one
// JobFilled per job; only what the kept jobs staged may reach the batch.
class RoundHook {
 public:
  virtual ~RoundHook() = default;
  // Right after a job's Fill: `kept` true when its writes stay in the batch, false when
  // they were rolled back to the job's savepoint (what the job staged must be dropped).
  virtual void JobFilled(bool kept) = 0;
  // After the round's last Fill, before the batch is written: adds the round's staged
  // writes to `batch` and forgets them. A non-ok return fails the whole round (nothing of
  // it is written). Called once per round, whatever happens after.
  virtual Status Seal(rocksdb::WriteBatch& batch, Store& store) = 0;
  // After the round's write (or its failure, Seal's included), before any job hears Done:
  // what was sealed is in the WAL only when `written` is ok.
  virtual void Written(const Status& written) { (void)written; }
};

// When the WAL is fsync'ed. kNone: a round is written to the OS (write(2)) before its jobs
// are told; that survives a killed process (SIGKILL, crash) but not a power loss or kernel
// crash, and costs no disk flush. kEveryRound: fsync before telling the jobs; survives power
// loss; the cost is one fsync per round, shared by every job in it.
enum class SyncPolicy { kNone, kEveryRound };

struct WriterOptions {
  SyncPolicy sync = SyncPolicy::kNone;
  // At most this many jobs per batch; more queued jobs go in the next round at once.
  size_t max_jobs_per_round = 4096;
  // Linger (Kafka's linger.ms, PostgreSQL's commit_delay): while every queued job is one that
  // nobody waits for (Job::Awaited false), a round waits up to linger_us for more, so that
  // rounds (one WAL write, one wake-up of each worker) carry more jobs. The wait starts at the
  // end of the previous round, or at the first job's arrival when the writer was idle through
  // a whole linger. Jobs that nobody waits for do not wake a lingering writer (at a steady low
  // rate it sleeps once per round); an awaited one ends the wait at once, and so does Stop().
  // 0: none.
  int64_t linger_us = 0;
  // A round is not written (its jobs fail with kUnavailable "disk full") while the store's
  // file system has less free space than this, or is read-only (Store::CheckRoom). 0: no check.
  uint64_t min_free_bytes = 8u << 20;
  // Not owned; must outlive the Writer. Null: no per-round work.
  RoundHook* round_hook = nullptr;
};

struct WriterStats {
  uint64_t rounds = 0;
  uint64_t jobs = 0;
  uint64_t failed_jobs = 0;   // Fill errors and failed rounds
  uint64_t failed_rounds = 0;
  uint64_t wakeups = 0;  // submissions that had to wake the writer (a system call each)
};

class Writer {
 public:
  // Starts the thread. `store` must be open read-write and outlive the Writer.
  Writer(Store& store, WriterOptions options);
  // Stop() if not yet done.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Any thread. Queues `job`; the writer will Fill and Done it. Jobs from one thread run in
  // the order that thread submitted them; jobs from different threads in the order their
  // Submit calls took effect (a single atomic queue). After Stop() began, the job is not
  // queued: its Done runs on the calling thread with kUnavailable.
  void Submit(std::unique_ptr<Job> job);
  // Any thread. Queues the jobs linked by Job::Chain, oldest first, as one push (one wake-up
  // of the writer at most); they keep their order and nothing else lands between them.
  // After Stop() began, each is done on the calling thread with kUnavailable.
  void SubmitChain(Job* oldest_first);

  // Any thread but the writer's. Refuses new jobs, writes and completes every job already
  // submitted, then joins the thread. Idempotent.
  void Stop();

  // A snapshot of the counters; any thread.
  WriterStats stats() const;

 private:
  void Run();
  // Takes everything queued, oldest first, as a linked list; null when empty.
  Job* TakeAll();
  void RunRound(Job*& pending);
  // Before a round, and after one: waits for more jobs while lingering is allowed
  // (WriterOptions::linger_us).
  void Linger(Job*& pending);

  Store& store_;
  WriterOptions options_;
  std::atomic<Job*> head_{nullptr};     // newest first (a Treiber stack)
  std::atomic<bool> stopping_{false};
  std::atomic<int> submitting_{0};      // Submit calls between their check and their push
  std::atomic<uint32_t> wake_{0};       // bumped when the queue becomes non-empty (a futex)
  std::atomic<bool> lingering_{false};  // Linger() waits: only awaited jobs wake it
  std::atomic<uint64_t> rounds_{0}, jobs_{0}, failed_jobs_{0}, failed_rounds_{0}, wakeups_{0};
  // The round's state, writer thread only; kept between rounds for their capacity.
  rocksdb::WriteBatch round_batch_;
  std::vector<Job*> round_jobs_;
  std::vector<Status> round_results_;
  std::thread thread_;
};

}  // namespace edge::ledger
