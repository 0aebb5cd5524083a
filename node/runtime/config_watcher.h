#pragma once

// Tells `serve` when the files of its config changed: the config file and every file it
// includes (config::Config::files). Lives on the main loop, beside the SIGHUP handler.
//
// How: inotify (uv_fs_event) on the *directories* of the files, not the files, because
// editors and config management replace a file by renaming a new one over it (vim, ansible,
// Kubernetes' ConfigMap swaps a `..data` symlink), which ends a watch on the old inode; the
// directory sees the rename. Both the directory of the name as written and the directory of
// its target when it is a symlink are watched. Any event starts a debounce (quiet period,
// bounded by a maximum wait so that a busy directory cannot starve it); then the files are
// read and compared with what was last seen, so events of unrelated files in the directory
// (logs, swap files) and writes that leave a file as it was cause no reload. The watches are
// re-armed at every check, so a directory that was itself replaced is followed. Where inotify
// cannot watch a directory (limit reached, a filesystem without it), the files there are
// polled (uv_fs_poll, once a second) instead. Same design as Envoy's file watcher (directory
// watch for symlink swaps) plus Prometheus' file_sd re-read on change.

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace edge::runtime {

class ConfigWatcher {
 public:
  struct Options {
    uint64_t quiet_ms = 250;      // no event for this long: the writer is done
    uint64_t max_wait_ms = 2000;  // check at the latest this long after the first event
    uint64_t poll_ms = 1000;      // uv_fs_poll interval where inotify is unavailable
  };

  // `on_change` runs on `loop` when a watched file's content changed (or it appeared or went).
  ConfigWatcher(uv_loop_t* loop, std::function<void()> on_change, Options options);
  ConfigWatcher(uv_loop_t* loop, std::function<void()> on_change)
      : ConfigWatcher(loop, std::move(on_change), Options()) {}
  ~ConfigWatcher();  // Close() must have been called and the loop run until its handles closed
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Watches exactly `files` from now on, their current contents being the known state.
  void Watch(const std::vector<std::string>& files);
  const std::set<std::string>& files() const { return files_; }
  // Stops watching; the handles close on the loop. Idempotent.
  void Close();

 private:
  struct DirWatch;
  void ArmWatches();
  void OnEvent();
  void OnTimer();
  std::map<std::string, std::optional<std::string>> ReadAll() const;
  static void CloseHandle(uv_handle_t* h);

  uv_loop_t* loop_;
  std::function<void()> on_change_;
  Options options_;
  uv_timer_t* timer_;  // heap: freed in its close callback
  bool closed_ = false;
  bool pending_ = false;
  uint64_t first_event_ms_ = 0;
  std::set<std::string> files_;
  std::map<std::string, std::optional<std::string>> contents_;  // nullopt: unreadable / absent
  std::vector<uv_handle_t*> watches_;                            // fs_event and fs_poll handles
};

}  // namespace edge::runtime
