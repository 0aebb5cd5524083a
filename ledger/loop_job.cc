#include "ledger/loop_job.h"

#include <cassert>

namespace edge::ledger {

LoopInbox::LoopInbox(uv_loop_t* loop) {
  uv_async_init(loop, &async_, [](uv_async_t* a) { static_cast<LoopInbox*>(a->data)->Drain(); });
  async_.data = this;
}

LoopInbox::~LoopInbox() { assert(closed_ || uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))); }

void LoopInbox::Close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  MaybeClose();
}

void LoopInbox::MaybeClose() {
  if (!closing_ || closed_ || outstanding_.load() != 0) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), [](uv_handle_t* h) {
    auto* self = static_cast<LoopInbox*>(h->data);
    if (self->on_closed_) self->on_closed_();
  });
}

void LoopInbox::Post(LoopJob* job) {
  LoopJob* old = head_.load(std::memory_order_relaxed);
  do {
    job->inbox_next_ = old;
  } while (!head_.compare_exchange_weak(old, job));
  uv_async_send(&async_);
}

void LoopInbox::Drain() {
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
