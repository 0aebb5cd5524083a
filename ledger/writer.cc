#include "ledger/writer.h"

#include <linux/futex.h>
#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

namespace edge::ledger {
namespace {

// The writer sleeps on a plain futex rather than std::atomic::wait: libstdc++'s wait first
// spins with a dozen sched_yield calls, each a trip through the scheduler that, on a machine
// whose cores the workers keep busy, hands the core away and back for nothing.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

void FutexWait(std::atomic<uint32_t>& word, uint32_t seen) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, nullptr,
          nullptr, 0);
}

void FutexWaitFor(std::atomic<uint32_t>& word, uint32_t seen, std::chrono::nanoseconds d) {
  timespec timeout{static_cast<time_t>(d.count() / 1000000000),
                   static_cast<long>(d.count() % 1000000000)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, &timeout,
          nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

// What a round's batch may keep of its buffer for the next round.
constexpr size_t kKeptBatchBytes = 1 << 20;

}  // namespace

Writer::Writer(Store& store, WriterOptions options) : store_(store), options_(options) {
  if (options_.max_jobs_per_round == 0) options_.max_jobs_per_round = 1;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ledger-writer");  // for top -H, perf and /proc
    Run();
  });
}

Writer::~Writer() { Stop(); }

void Writer::Submit(std::unique_ptr<Job> job) {
  Job* raw = job.release();
  raw->next_ = nullptr;
  SubmitChain(raw);  // a chain of one
}

void Writer::SubmitChain(Job* oldest_first) {
  if (oldest_first == nullptr) return;
  // submitting_ is raised before stopping_ is read, and Run() only exits once it is zero,
  // so a chain that passed this check is always taken by the writer.
  submitting_.fetch_add(1);
  if (stopping_.load()) {
    submitting_.fetch_sub(1);
    while (oldest_first != nullptr) {
      Job* job = oldest_first;
      oldest_first = job->next_;
      job->next_ = nullptr;
      job->Done(std::unique_ptr<Job>(job), Unavailable("ledger writer stopped"));
    }
    return;
  }
  // The queue is a stack, newest first: reverse the chain, then push it whole.
  Job* newest_first = nullptr;
  Job* last = oldest_first;  // after the reversal: the chain's tail
  bool awaited = false;
  while (oldest_first != nullptr) {
    awaited = awaited || oldest_first->Awaited();
    Job* next = oldest_first->next_;
    oldest_first->next_ = newest_first;
    newest_first = oldest_first;
    oldest_first = next;
  }
  Job* old = head_.load(std::memory_order_relaxed);
  do {
    last->next_ = old;
  } while (!head_.compare_exchange_weak(old, newest_first));
  submitting_.fetch_sub(1);
  // A lingering writer sleeps until its deadline unless someone waits for a job. (A push that
  // saw it lingering came before it stopped lingering, so its next TakeAll has the job.)
  if ((old == nullptr && !lingering_.load()) || (awaited && lingering_.load())) {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    wake_.fetch_add(1);
    FutexWake(wake_);
  }
}

void Writer::Stop() {
  if (!stopping_.exchange(true)) {
    wake_.fetch_add(1);
    FutexWake(wake_);
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

WriterStats Writer::stats() const {
  return {rounds_.load(), jobs_.load(), failed_jobs_.load(), failed_rounds_.load(),
          wakeups_.load()};
}

Job* Writer::TakeAll() {
  Job* newest_first = head_.exchange(nullptr);
  Job* oldest_first = nullptr;
  while (newest_first != nullptr) {
    Job* next = newest_first->next_;
    newest_first->next_ = oldest_first;
    oldest_first = newest_first;
    newest_first = next;
  }
  return oldest_first;
}

void Writer::Run() {
  Job* pending = nullptr;  // oldest first: what the last round could not take
  bool after_round = false;  // a round ran since the writer last slept without a deadline
  for (;;) {
    if (pending == nullptr) pending = TakeAll();
    // With linger on, the next round's jobs are gathered from the end of the last round, not
    // from the first job's arrival: at a steady low rate (a few jobs per linger) the writer
    // then sleeps once per round, on its deadline, instead of being woken by the first job and
    // sleeping again until that job's deadline (two context switches per round, each costing
    // more than the round's own work). A job still waits at most linger_us.
    if (options_.linger_us > 0 && (pending != nullptr || after_round)) {
      Linger(pending);
      after_round = false;
    }
    if (pending != nullptr) {
      RunRound(pending);
      after_round = true;
      continue;
    }
    if (stopping_.load()) {
      if (submitting_.load() == 0 && head_.load() == nullptr) return;
      std::this_thread::yield();  // a Submit is between its check and its push
      continue;
    }
    uint32_t seen = wake_.load();
    if (head_.load() != nullptr || stopping_.load()) continue;
    FutexWait(wake_, seen);
  }
}

// Waits until linger_us from now for more jobs, appending them to `pending` (which may start
// empty), unless one of them is awaited or the writer stops.
void Writer::Linger(Job*& pending) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(options_.linger_us);
  Job* last = nullptr;
  bool awaited = false;
  for (Job* j = pending; j != nullptr; j = j->next_) {
    awaited = awaited || j->Awaited();
    last = j;
  }
  lingering_.store(true);
  while (!awaited && !stopping_.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const uint32_t seen = wake_.load();
    if (head_.load() == nullptr) FutexWaitFor(wake_, seen, deadline - now);
    Job* more = TakeAll();
    if (more == nullptr) continue;
    (last == nullptr ? pending : last->next_) = more;
    for (Job* j = more; j != nullptr; j = j->next_) {
      awaited = awaited || j->Awaited();
      last = j;
    }
  }
  lingering_.store(false);
  // A job pushed since the last TakeAll saw the writer lingering and did not wake it.
  Job* more = TakeAll();
  if (more != nullptr) (last == nullptr ? pending : last->next_) = more;
}

// One round: Fill every job (up to the limit) into one batch, one WAL write, then Done each.
void Writer::RunRound(Job*& pending) {
  // Kept across rounds, cleared at the end, so that a round allocates nothing of its own.
  std::vector<Job*>& jobs = round_jobs_;
  std::vector<Status>& results = round_results_;
  rocksdb::WriteBatch& batch = round_batch_;
  while (pending != nullptr && jobs.size() < options_.max_jobs_per_round) {
    Job* job = pending;
    pending = job->next_;
    job->next_ = nullptr;
    batch.SetSavePoint();
    Status s = job->Fill(batch, store_);
    if (s.ok()) {
      batch.PopSavePoint().PermitUncheckedError();
    } else {
      batch.RollbackToSavePoint().PermitUncheckedError();
    }
    if (options_.round_hook != nullptr) options_.round_hook->JobFilled(s.ok());
    jobs.push_back(job);
    results.push_back(std::move(s));
  }
  Status written;
  if (options_.round_hook != nullptr) written = options_.round_hook->Seal(batch, store_);
  if (written.ok() && batch.Count() > 0 && options_.min_free_bytes > 0) {
    written = store_.CheckRoom(options_.min_free_bytes);
  }
  if (batch.Count() > 0 && written.ok()) {
    written = store_.Write(batch, options_.sync == SyncPolicy::kEveryRound);
  }
  if (options_.round_hook != nullptr) options_.round_hook->Written(written);
  // The next round's linger starts here (Run): what the jobs' Done calls set off (a worker's
  // next commits) need not wake the writer.
  if (options_.linger_us > 0) lingering_.store(true);
  rounds_.fetch_add(1, std::memory_order_relaxed);
  jobs_.fetch_add(jobs.size(), std::memory_order_relaxed);
  if (!written.ok()) failed_rounds_.fetch_add(1, std::memory_order_relaxed);
  uint64_t failed = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status s = results[i].ok() ? written : std::move(results[i]);
    if (!s.ok()) ++failed;
    jobs[i]->Done(std::unique_ptr<Job>(jobs[i]), std::move(s));
  }
  failed_jobs_.fetch_add(failed, std::memory_order_relaxed);
  jobs.clear();
  results.clear();
  // A round that carried something large (stored responses) does not keep its memory.
  if (batch.GetDataSize() > kKeptBatchBytes) {
    batch = rocksdb::WriteBatch();
  } else {
    batch.Clear();
  }
}

}  // namespace edge::ledger
