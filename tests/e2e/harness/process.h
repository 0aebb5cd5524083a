#pragma once

// A child process for end-to-end tests: the real llm-edge binary or a fake provider.
// Output goes to files so a test can wait for a line and show the log when it fails.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edge::e2e {

// A fresh directory under /tmp, removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

class Process {
 public:
  // Starts argv[0] with the given arguments; stdout and stderr go to files in `dir`. It runs
  // in `cwd` (default `dir`), so relative paths of its config stay inside the test.
  Process(std::vector<std::string> argv, const std::string& dir, const std::string& name,
          const std::map<std::string, std::string>& extra_env = {}, const std::string& cwd = {});
  ~Process();  // SIGKILL + reap when still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // The first line of stdout/stderr containing `needle`, waiting up to `timeout`.
  // With `nth` > 1, the nth such line (a second reload, ...).
  std::optional<std::string> WaitForLine(const std::string& needle, bool from_stderr,
                                         std::chrono::milliseconds timeout, int nth = 1) const;
  std::string Stdout() const;
  std::string Stderr() const;
  void Signal(int signum) const;
  // Exit code (128+signal when killed), or nullopt when still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_, err_path_;
};

std::string ReadFile(const std::string& path);

}  // namespace edge::e2e
