#include "node/runtime/access_log.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "node/runtime/log.h"
#include "node/runtime/prometheus_text.h"

namespace edge::runtime {
namespace {

constexpr size_t kMaxSpareBuffers = 16;

Result<int> OpenForAppend(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Unavailable("log.access " + path + ": " + std::strerror(errno));
  return fd;
}

// Everything of [p, p+n) written, retrying on EINTR and short writes; false on an error.
bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& destination) {
  if (destination == "stderr") return OnDescriptor(STDERR_FILENO, destination);
  EDGE_ASSIGN_OR_RETURN(int fd, OpenForAppend(destination));
  return std::unique_ptr<AccessLog>(new AccessLog(destination, fd, true));
}

std::unique_ptr<AccessLog> AccessLog::OnDescriptor(int fd, std::string name) {
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(name), fd, false));
}

AccessLog::AccessLog(std::string destination, int fd, bool owns_fd)
    : destination_(std::move(destination)), fd_(fd), owns_fd_(owns_fd) {
  struct stat st;
  if (::fstat(fd_, &st) == 0) {
    atomic_pieces_ = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "edge-access-log");
    Run();
  });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::Reopen() {
  if (!owns_fd_) return;
  reopen_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(mu_);  // the writer checks reopen_ under mu_ before it sleeps
  }
  wake_.notify_one();
}

void AccessLog::HandOver(std::string& text, size_t lines) {
  if (text.empty()) return;
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (queued_bytes_ + text.size() <= kMaxQueuedBytes) {
      queued_bytes_ += text.size();
      queue_.push_back(Chunk{std::move(text), lines});
      queued = true;
      if (!spare_.empty()) {
        text = std::move(spare_.back());
        spare_.pop_back();
      } else {
        text = std::string();
      }
    }
  }
  if (queued) {
    wake_.notify_one();
    if (text.capacity() < kFlushBytes) text.reserve(kFlushBytes);
  } else {
    dropped_lines_.fetch_add(lines, std::memory_order_relaxed);
  }
  text.clear();
}

void AccessLog::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] {
      return stopping_ || !queue_.empty() || reopen_.load(std::memory_order_acquire);
    });
    if (reopen_.exchange(false, std::memory_order_acq_rel)) {
      lock.unlock();
      ReopenFile();
      lock.lock();
      continue;
    }
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    Chunk chunk = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    WriteChunk(chunk.text);
    written_lines_.fetch_add(chunk.lines, std::memory_order_relaxed);
    chunk.text.clear();
    lock.lock();
    if (spare_.size() < kMaxSpareBuffers) spare_.push_back(std::move(chunk.text));
  }
}

void AccessLog::WriteChunk(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  bool ok = true;
  while (left > 0 && ok) {
    size_t n = left;
    if (atomic_pieces_ && n > PIPE_BUF) {
      // The longest run of whole lines that fits; a single longer line goes alone.
      size_t cut = std::string_view(p, PIPE_BUF).rfind('\n');
      n = cut == std::string_view::npos ? std::string_view(p, left).find('\n') + 1 : cut + 1;
      if (n == 0 || n > left) n = left;
    }
    ok = WriteAll(fd_, p, n);
    p += n;
    left -= n;
  }
  {
    std::lock_guard lock(mu_);
    queued_bytes_ -= text.size();
  }
  if (!ok) {
    // Logged once per run of failures, not per chunk (stderr may be the thing that failed).
    if (write_errors_.fetch_add(1, std::memory_order_relaxed) == 0) {
      log::Error("access log write failed",
                 {{"destination", destination_}, {"error", std::strerror(errno)}});
    }
  }
}

void AccessLog::ReopenFile() {
  Result<int> fd = OpenForAppend(destination_);
  if (!fd.ok()) {
    log::Error("access log not reopened; writing on to the old file",
               {{"error", fd.status().message()}});
    return;
  }
  ::close(fd_);
  fd_ = *fd;
  log::Info("access log reopened", {{"path", destination_}});
}

std::string AccessLog::RenderPrometheus() const {
  std::string out;
  AppendFamily(out, "llm_edge_access_log_lines_total", "counter",
               "Access log lines written to log.access.");
  out.append("llm_edge_access_log_lines_total ")
      .append(std::to_string(written_lines()))
      .push_back('\n');
  AppendFamily(out, "llm_edge_access_log_dropped_lines_total", "counter",
               "Access log lines dropped because the destination did not keep up (the "
               "writer's queue was full).");
  out.append("llm_edge_access_log_dropped_lines_total ")
      .append(std::to_string(dropped_lines()))
      .push_back('\n');
  AppendFamily(out, "llm_edge_access_log_write_errors_total", "counter",
               "Writes to log.access that failed (their lines are lost).");
  out.append("llm_edge_access_log_write_errors_total ")
      .append(std::to_string(write_errors()))
      .push_back('\n');
  return out;
}

AccessLog::Buffer::Buffer(AccessLog& log, uv_loop_t* loop) : log_(log) {
  text_.reserve(kFlushBytes);
  uv_check_init(loop, &check_);
  check_.data = this;
  uv_idle_init(loop, &idle_);
  idle_.data = this;
  uv_check_start(&check_, [](uv_check_t* c) {
    auto* self = static_cast<Buffer*>(c->data);
    self->Flush();
    uv_idle_stop(&self->idle_);
  });
  // Unreferenced: the check alone must not keep a finished loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
}

AccessLog::Buffer::~Buffer() { Flush(); }

void AccessLog::Buffer::LineAdded() {
  if (lines_++ == 0 && !closed_) uv_idle_start(&idle_, [](uv_idle_t*) {});
  if (text_.size() >= kFlushBytes) Flush();
}

void AccessLog::Buffer::Flush() {
  if (lines_ == 0) return;
  log_.HandOver(text_, lines_);
  lines_ = 0;
}

void AccessLog::Buffer::Close(std::function<void()> on_closed) {
  if (closed_) return;
  closed_ = true;
  Flush();
  on_closed_ = std::move(on_closed);
  auto closed = [](uv_handle_t* h) {
    auto* self = static_cast<Buffer*>(h->data);
    if (--self->open_handles_ == 0 && self->on_closed_) self->on_closed_();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), closed);
}

}  // namespace edge::runtime
