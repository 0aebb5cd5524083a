#pragma once

// The access log (config `log.access: stderr|off|PATH`): one JSON line per finished request,
// written by a thread of its own so that a slow disk or a full stderr pipe never stalls a
// worker.
//
// Workers append lines to their own Buffer during a loop iteration; at the end of the
// iteration (a uv_check handle, as the ledger's LoopInbox does), or at once when the buffer
// holds kFlushBytes, the buffer is handed to the writer thread as one chunk: one lock and one
// wake-up per iteration, never per request (nginx's `access_log ... buffer=` does the same
// with one write(2) per buffer). The writer writes chunks in the order they were handed over,
// so each worker's lines keep their order. Chunks wait in a queue of at most kMaxQueuedBytes;
// a chunk that does not fit is dropped whole and its lines counted (dropped_lines()): a
// blocked destination costs lines, never a stalled worker or unbounded memory.
//
// Rotation (logrotate without copytruncate): rename the file, then SIGUSR1; Reopen() makes
// the writer open PATH anew before its next write. Lines written before that went to the old
// file, later ones to the new: none is lost or written twice.
//
// Lines to a pipe, socket or terminal (stderr under systemd or docker) are written in pieces
// of at most PIPE_BUF bytes that end at a line's end, which the kernel writes whole, so they
// never interleave with the node's other log lines on the same stderr.

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace edge::runtime {

class AccessLog {
 public:
  // `destination`: "stderr", or the path of a file opened for appending (created 0640).
  // "off" is no AccessLog at all (the caller keeps none).
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& destination);
  // Lines to `fd`, which stays the caller's (never reopened); `name` as destination().
  static std::unique_ptr<AccessLog> OnDescriptor(int fd, std::string name);
  // Writes every chunk handed over, then joins the writer thread and closes the file. Every
  // Buffer must have been closed before.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Any thread (SIGUSR1): the file is reopened at its path before the next write. A failure
  // to open is logged and the old file kept. Nothing for stderr.
  void Reopen();

  const std::string& destination() const { return destination_; }
  // Any thread.
  uint64_t written_lines() const { return written_lines_.load(std::memory_order_relaxed); }
  uint64_t dropped_lines() const { return dropped_lines_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // The llm_edge_access_log_* series for GET /metrics.
  std::string RenderPrometheus() const;

  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr size_t kMaxQueuedBytes = 8 * 1024 * 1024;

  // One worker's lines of the current loop iteration. Loop thread only.
  class Buffer {
   public:
    Buffer(AccessLog& log, uv_loop_t* loop);
    // Close() and its callback must have run (or the loop closed the handles).
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    // The text to append one line to; call LineAdded() after appending it, '\n' included.
    std::string& text() { return text_; }
    void LineAdded();
    // Hands over what is buffered (Close() and the worker's end do).
    void Flush();
    // Flushes and closes the handles; `on_closed` runs from the last close callback. Lines
    // added later are still handed over by Flush() (the worker's last act).
    void Close(std::function<void()> on_closed);

   private:
    AccessLog& log_;
    uv_check_t check_{};
    uv_idle_t idle_{};  // keeps the loop from blocking while lines wait for the check
    std::string text_;
    size_t lines_ = 0;
    bool closed_ = false;
    int open_handles_ = 2;
    std::function<void()> on_closed_;
  };

 private:
  AccessLog(std::string destination, int fd, bool owns_fd);
  struct Chunk {
    std::string text;
    size_t lines = 0;
  };
  // Loop threads: queues `text` (swapped for an empty buffer with capacity) unless the queue
  // is full, in which case its lines are counted as dropped and it is cleared.
  void HandOver(std::string& text, size_t lines);
  void Run();
  void WriteChunk(const std::string& text);
  void ReopenFile();

  const std::string destination_;  // "stderr" or the path
  int fd_;
  bool owns_fd_;
  bool atomic_pieces_ = false;  // a pipe, socket or terminal: write at most PIPE_BUF at once

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Chunk> queue_;         // under mu_
  size_t queued_bytes_ = 0;         // under mu_
  std::vector<std::string> spare_;  // emptied buffers for reuse, under mu_
  bool stopping_ = false;           // under mu_
  std::atomic<bool> reopen_{false};

  std::atomic<uint64_t> written_lines_{0}, dropped_lines_{0}, write_errors_{0};
  std::thread thread_;
};

}  // namespace edge::runtime
