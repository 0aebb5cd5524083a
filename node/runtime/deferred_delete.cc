#include "node/runtime/deferred_delete.h"

#include <cassert>

namespace edge::runtime {

DeferredDeleter::DeferredDeleter(uv_loop_t* loop) {
  uv_check_init(loop, &check_);
  check_.data = this;
}

DeferredDeleter::~DeferredDeleter() { assert(closed_ && "DeferredDeleter destroyed before Close()"); }

void DeferredDeleter::Delete(Deferrable* object) {
  pending_.emplace_back(object);
  if (!running_ && !closed_) {
    running_ = true;
    uv_check_start(&check_, &DeferredDeleter::OnCheck);
  }
}

void DeferredDeleter::OnCheck(uv_check_t* handle) {
  auto* self = static_cast<DeferredDeleter*>(handle->data);
  self->Drain();
  if (self->pending_.empty()) {
    uv_check_stop(handle);
    self->running_ = false;
  }
}

void DeferredDeleter::Drain() {
  // Destructors may defer more objects: swap first so they land in the next round.
  std::vector<std::unique_ptr<Deferrable>> batch;
  batch.swap(pending_);
}

void DeferredDeleter::Close(std::function<void()> on_closed) {
  while (!pending_.empty()) Drain();
  on_closed_ = std::move(on_closed);
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), [](uv_handle_t* h) {
    auto* self = static_cast<DeferredDeleter*>(h->data);
    if (self->on_closed_) self->on_closed_();
  });
}

}  // namespace edge::runtime
