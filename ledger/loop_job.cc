#include "ledger/loop_job.h"

#include <cassert>

#include "common/event_clock.h"

namespace edge::ledger {

LoopInbox::LoopInbox(uv_loop_t* loop) {
  uv_async_init(loop, &async_, [](uv_async_t* a) { static_cast<LoopInbox*>(a->data)->Drain(); });
  async_.data = this;
  uv_check_init(loop, &flush_);
  flush_.data = this;
  // The check handle must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&flush_));
}

LoopInbox::~LoopInbox() { assert(closed_ || uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))); }

void LoopInbox::Submit(Writer& writer, std::unique_ptr<LoopJob> job) {
  writer_ = &writer;
  if (job->after_hand_off_) hand_off_notices_.push_back(job.get());
  Job* raw = job.release();
  raw->Chain(nullptr);
  if (batch_last_ == nullptr) {
    batch_first_ = raw;
    uv_check_start(&flush_, [](uv_check_t* c) { static_cast<LoopInbox*>(c->data)->Flush(); });
  } else {
    batch_last_->Chain(raw);
  }
  batch_last_ = raw;
}

void LoopInbox::Flush() {
  uv_check_stop(&flush_);
  Job* first = batch_first_;
  batch_first_ = batch_last_ = nullptr;
  if (first != nullptr) writer_->SubmitChain(first);
  // Jobs are destroyed only by Drain, on this thread: each is still alive here.
  for (LoopJob* job : hand_off_notices_) job->AfterHandOff();
  hand_off_notices_.clear();
}

void LoopInbox::Close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  Flush();  // jobs still batched must reach the writer, or they would never be delivered
  MaybeClose();
}

void LoopInbox::MaybeClose() {
  if (!closing_ || closed_ || outstanding_.load() != 0) return;
  closed_ = true;
  auto on_handle_closed = [](uv_handle_t* h) {
    auto* self = static_cast<LoopInbox*>(h->data);
    if (--self->open_handles_ == 0 && self->on_closed_) self->on_closed_();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&flush_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), on_handle_closed);
}

void LoopInbox::Post(LoopJob* job) {
  LoopJob* old = head_.load(std::memory_order_relaxed);
  do {
    job->inbox_next_ = old;
  } while (!head_.compare_exchange_weak(old, job));
  uv_async_send(&async_);
}

void LoopInbox::Drain() {
  EventClockScope event;  // the jobs done in one wake-up read the clocks once
  LoopJob* newest_first = head_.exchange(nullptr);
  LoopJob* oldest_first = nullptr;
  while (newest_first != nullptr) {
    LoopJob* next = newest_first->inbox_next_;
    newest_first->inbox_next_ = oldest_first;
    oldest_first = newest_first;
    newest_first = next;
  }
  while (oldest_first != nullptr) {
    std::unique_ptr<LoopJob> job(oldest_first);
    oldest_first = job->inbox_next_;
    job->OnLoopDone(std::move(job->status_));
  }
  MaybeClose();
}

LoopJob::LoopJob(LoopInbox& inbox) : inbox_(inbox) { inbox_.outstanding_.fetch_add(1); }

// Jobs are destroyed on the loop thread (by Drain, or by their maker when never submitted).
LoopJob::~LoopJob() {
  if (inbox_.outstanding_.fetch_sub(1) == 1) inbox_.MaybeClose();
}

void LoopJob::Done(std::unique_ptr<Job> self, Status status) {
  OnWritten(status);
  status_ = std::move(status);
  self.release();  // owned by the inbox's queue until delivered
  inbox_.Post(this);
}

}  // namespace edge::ledger
