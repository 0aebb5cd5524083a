#include "node/runtime/config_watcher.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "node/runtime/log.h"

namespace edge::runtime {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

// The directories whose entries decide what `file` reads: its own, and its symlink target's.
std::vector<std::string> DirectoriesOf(const std::string& file) {
  std::vector<std::string> dirs;
  fs::path p = fs::absolute(file).lexically_normal();
  dirs.push_back(p.parent_path().string());
  std::error_code ec;
  fs::path target = fs::canonical(p, ec);
  if (!ec && target.parent_path() != p.parent_path()) dirs.push_back(target.parent_path().string());
  return dirs;
}

}  // namespace

ConfigWatcher::ConfigWatcher(uv_loop_t* loop, std::function<void()> on_change, Options options)
    : loop_(loop), on_change_(std::move(on_change)), options_(options), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

ConfigWatcher::~ConfigWatcher() { Close(); }

void ConfigWatcher::CloseHandle(uv_handle_t* h) {
  if (uv_is_closing(h)) return;
  uv_close(h, [](uv_handle_t* closed) {
    switch (closed->type) {
      case UV_FS_EVENT:
        delete reinterpret_cast<uv_fs_event_t*>(closed);
        break;
      case UV_FS_POLL:
        delete reinterpret_cast<uv_fs_poll_t*>(closed);
        break;
      case UV_TIMER:
        delete reinterpret_cast<uv_timer_t*>(closed);
        break;
      default:
        break;
    }
  });
}

void ConfigWatcher::Close() {
  if (closed_) return;
  closed_ = true;
  for (uv_handle_t* h : watches_) CloseHandle(h);
  watches_.clear();
  timer_->data = nullptr;
  CloseHandle(reinterpret_cast<uv_handle_t*>(timer_));
}

std::map<std::string, std::optional<std::string>> ConfigWatcher::ReadAll() const {
  std::map<std::string, std::optional<std::string>> out;
  for (const std::string& f : files_) out[f] = ReadFile(f);
  return out;
}

void ConfigWatcher::Watch(const std::vector<std::string>& files) {
  if (closed_) return;
  files_ = std::set<std::string>(files.begin(), files.end());
  ArmWatches();  // before reading: a change after the read is then an event
  contents_ = ReadAll();
}

void ConfigWatcher::ArmWatches() {
  for (uv_handle_t* h : watches_) CloseHandle(h);
  watches_.clear();
  std::map<std::string, std::vector<std::string>> by_dir;  // directory -> files there
  for (const std::string& f : files_) {
    for (const std::string& d : DirectoriesOf(f)) by_dir[d].push_back(f);
  }
  for (const auto& [dir, files] : by_dir) {
    auto* ev = new uv_fs_event_t;
    uv_fs_event_init(loop_, ev);
    ev->data = this;
    int rc = uv_fs_event_start(
        ev,
        [](uv_fs_event_t* h, const char*, int, int) {
          if (h->data != nullptr) static_cast<ConfigWatcher*>(h->data)->OnEvent();
        },
        dir.c_str(), 0);
    if (rc == 0) {
      watches_.push_back(reinterpret_cast<uv_handle_t*>(ev));
      continue;
    }
    CloseHandle(reinterpret_cast<uv_handle_t*>(ev));
    // No inotify here (or the directory is gone for now): poll the files themselves.
    log::Warn("config watch: polling instead of inotify",
              {{"directory", dir}, {"error", uv_strerror(rc)}});
    for (const std::string& f : files) {
      auto* poll = new uv_fs_poll_t;
      uv_fs_poll_init(loop_, poll);
      poll->data = this;
      uv_fs_poll_start(
          poll,
          [](uv_fs_poll_t* h, int, const uv_stat_t*, const uv_stat_t*) {
            if (h->data != nullptr) static_cast<ConfigWatcher*>(h->data)->OnEvent();
          },
          f.c_str(), static_cast<unsigned>(options_.poll_ms));
      watches_.push_back(reinterpret_cast<uv_handle_t*>(poll));
    }
  }
}

// A debounce with a maximum wait (lodash's debounce(maxWait)): each event pushes the check
// back by quiet_ms, but never later than max_wait_ms after the first event.
void ConfigWatcher::OnEvent() {
  if (closed_) return;
  uint64_t now = uv_now(loop_);
  if (!pending_) {
    pending_ = true;
    first_event_ms_ = now;
  }
  uint64_t deadline = first_event_ms_ + options_.max_wait_ms;
  uint64_t delay = std::min(options_.quiet_ms, deadline > now ? deadline - now : 0);
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        if (t->data != nullptr) static_cast<ConfigWatcher*>(t->data)->OnTimer();
      },
      delay, 0);
}

void ConfigWatcher::OnTimer() {
  pending_ = false;
  // Re-armed before reading (a change after the read is then an event): follows a directory
  // that was replaced and symlinks that now point elsewhere.
  ArmWatches();
  auto now = ReadAll();
  if (now == contents_) return;
  contents_ = std::move(now);
  on_change_();
}

}  // namespace edge::runtime
