#pragma once

// Objects that must not delete themselves inside their own callbacks (an upstream call
// completing, a client aborting) are handed here and deleted after the current loop
// iteration's callbacks, from a uv_check handle.

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

namespace edge::runtime {

class Deferrable {
 public:
  virtual ~Deferrable() = default;
};

class DeferredDeleter {
 public:
  explicit DeferredDeleter(uv_loop_t* loop);
  ~DeferredDeleter();  // requires Close() to have completed
  void Delete(Deferrable* object);
  // Deletes what is pending and closes the handle; on_closed runs from the close callback.
  void Close(std::function<void()> on_closed);

 private:
  static void OnCheck(uv_check_t* handle);
  void Drain();

  uv_check_t check_{};
  bool running_ = false;
  bool closed_ = false;
  std::vector<std::unique_ptr<Deferrable>> pending_;
  std::function<void()> on_closed_;
};

}  // namespace edge::runtime
