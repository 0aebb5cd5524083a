#pragma once

// Bringing a writer job's outcome back to the libuv loop that submitted it: the loop's owner
// (a worker) keeps one LoopInbox; jobs that derive from LoopJob are told on that loop. The
// one door into a loop from another thread is uv_async_send, which coalesces: one wake-up
// delivers every outcome queued since the last.
//
// The way out is batched the same way: Submit() keeps the jobs a loop iteration makes and
// hands them to the writer as one chain when the iteration's I/O callbacks are done (a
// uv_check handle), so a busy worker wakes the writer once per iteration instead of once per
// request, and the writer's rounds (one WAL write, one wake-up back) carry more requests.

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ledger/writer.h"

namespace edge::ledger {

class LoopJob;

class LoopInbox {
 public:
  // Loop thread. Inits the async handle on `loop`.
  explicit LoopInbox(uv_loop_t* loop);
  // The handle must have been closed (Close() and its callback ran, or the loop closed it).
  ~LoopInbox();
  LoopInbox(const LoopInbox&) = delete;
  LoopInbox& operator=(const LoopInbox&) = delete;

  // Loop thread. Waits until every LoopJob made for this inbox has been delivered and
  // destroyed (so no writer thread can post to it any more), then closes the handle and calls
  // `on_closed` from the close callback. New jobs may still be made until then. Idempotent.
  void Close(std::function<void()> on_closed);

  // LoopJobs alive for this inbox (made and not yet destroyed). Loop thread, for tests.
  int64_t outstanding() const { return outstanding_.load(); }

  // Loop thread. Queues `job` for `writer` at the end of this loop iteration, in order with
  // the iteration's other jobs. Every job of one inbox must go to the same writer.
  void Submit(Writer& writer, std::unique_ptr<LoopJob> job);

 private:
  friend class LoopJob;
  void Post(LoopJob* job);  // any thread
  void Drain();             // loop thread
  void Flush();             // loop thread: hands the iteration's jobs to the writer
  void MaybeClose();

  uv_async_t async_{};
  uv_check_t flush_{};
  Writer* writer_ = nullptr;
  Job* batch_first_ = nullptr;  // oldest first, linked with Job::Chain
  Job* batch_last_ = nullptr;
  std::vector<LoopJob*> hand_off_notices_;  // the batch's jobs that asked for AfterHandOff
  int open_handles_ = 2;        // async_ and flush_
  std::atomic<LoopJob*> head_{nullptr};
  std::atomic<int64_t> outstanding_{0};
  bool closing_ = false;
  bool closed_ = false;
  std::function<void()> on_closed_;
};

class LoopJob : public Job {
 public:
  // Loop thread of `inbox`.
  explicit LoopJob(LoopInbox& inbox);
  ~LoopJob() override;

  // The inbox's loop thread, once: the outcome (see Job::Done for the statuses). The inbox
  // destroys the job right after.
  virtual void OnLoopDone(Status status) = 0;
  // The writer thread, once, before the outcome is posted to the loop: for state only the
  // writer thread touches (roll back a sequence number when the write failed).
  virtual void OnWritten(const Status& status) { (void)status; }
  // The inbox's loop thread, once, right after the job was handed to the writer
  // (LoopInbox::Flush), for a job that asked with NotifyAfterHandOff() before it was
  // submitted. The writer may be filling the job already: only what it never touches may be
  // used here.
  virtual void AfterHandOff() {}

 protected:
  void NotifyAfterHandOff() { after_hand_off_ = true; }

 private:
  friend class LoopInbox;
  void Done(std::unique_ptr<Job> self, Status status) final;

  LoopInbox& inbox_;
  Status status_;
  LoopJob* inbox_next_ = nullptr;
  bool after_hand_off_ = false;
};

}  // namespace edge::ledger
