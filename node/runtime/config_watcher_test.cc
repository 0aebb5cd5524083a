// ConfigWatcher on a real loop and real files: in-place writes, rename-replace, symlink swaps
// (Kubernetes' ConfigMap), unrelated files in the directory, a file that appears, Close().

#include "node/runtime/config_watcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;

class ConfigWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edge-watch-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ConfigWatcher::Options o;
    o.quiet_ms = 20;
    o.max_wait_ms = 200;
    watcher_ = std::make_unique<ConfigWatcher>(&loop_, [this] { ++changes_; }, o);
  }
  void TearDown() override {
    watcher_->Close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);  // every handle closed
    fs::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::trunc) << text;
  }
  // Writes a temporary file and renames it over `name`, as editors and config management do.
  void Replace(const std::string& name, const std::string& text) {
    Write(name + ".tmp", text);
    fs::rename(Path(name + ".tmp"), Path(name));
  }

  // Runs `act` on the loop, then the loop until `changes_` reaches `want` or `ms` pass (the
  // bound only ends a failing test; passing tests stop at the change).
  void RunUntil(int want, const std::function<void()>& act, uint64_t ms = 5000) {
    act_ = act;
    want_ = want;
    uv_timer_t start, stop, poll;
    for (uv_timer_t* t : {&start, &stop, &poll}) {
      uv_timer_init(&loop_, t);
      t->data = this;
    }
    uv_timer_start(&start, [](uv_timer_t* t) { static_cast<ConfigWatcherTest*>(t->data)->act_(); },
                   0, 0);
    uv_timer_start(&stop, [](uv_timer_t* t) { uv_stop(t->loop); }, ms, 0);
    uv_timer_start(
        &poll,
        [](uv_timer_t* t) {
          auto* self = static_cast<ConfigWatcherTest*>(t->data);
          if (self->changes_ >= self->want_) uv_stop(t->loop);
        },
        1, 1);
    uv_run(&loop_, UV_RUN_DEFAULT);
    for (uv_timer_t* t : {&start, &stop, &poll}) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  // Lets the loop run for `ms` (for "nothing happens" checks: bounded by design).
  void RunFor(uint64_t ms) { RunUntil(1 << 30, [] {}, ms); }

  std::string dir_;
  uv_loop_t loop_{};
  std::unique_ptr<ConfigWatcher> watcher_;
  int changes_ = 0;
  int want_ = 0;
  std::function<void()> act_;
};

TEST_F(ConfigWatcherTest, InPlaceWrite) {
  Write("a.yaml", "one");
  watcher_->Watch({Path("a.yaml")});
  RunUntil(1, [&] { Write("a.yaml", "two"); });
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatcherTest, RenameReplaceIsSeenAgainAndAgain) {
  Write("a.yaml", "one");
  watcher_->Watch({Path("a.yaml")});
  RunUntil(1, [&] { Replace("a.yaml", "two"); });
  EXPECT_EQ(changes_, 1);
  RunUntil(2, [&] { Replace("a.yaml", "three"); });  // the new inode is followed
  EXPECT_EQ(changes_, 2);
}

TEST_F(ConfigWatcherTest, SymlinkSwapLikeAConfigMap) {
  fs::create_directories(Path("v1"));
  fs::create_directories(Path("v2"));
  Write("v1/a.yaml", "one");
  Write("v2/a.yaml", "two");
  fs::create_directory_symlink("v1", Path("..data"));
  fs::create_symlink("..data/a.yaml", Path("a.yaml"));
  watcher_->Watch({Path("a.yaml")});
  RunUntil(1, [&] {
    fs::create_directory_symlink("v2", Path("..data_tmp"));
    fs::rename(Path("..data_tmp"), Path("..data"));
  });
  EXPECT_EQ(changes_, 1);
  // The target's directory is watched too: an edit there is a change.
  RunUntil(2, [&] { Write("v2/a.yaml", "three"); });
  EXPECT_EQ(changes_, 2);
}

TEST_F(ConfigWatcherTest, UnrelatedFilesAndSameContentAreNoChange) {
  Write("a.yaml", "one");
  watcher_->Watch({Path("a.yaml")});
  RunFor(150);  // nothing yet
  EXPECT_EQ(changes_, 0);
  RunUntil(1, [&] {
    Write("other.log", "noise");
    Write("a.yaml", "one");  // rewritten as it was
    Replace("b.yaml", "x");
  }, 300);
  EXPECT_EQ(changes_, 0);
  RunUntil(1, [&] { Write("a.yaml", "two"); });
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatcherTest, ManyWritesInABurstAreOneChange) {
  Write("a.yaml", "0");
  watcher_->Watch({Path("a.yaml")});
  RunUntil(1, [&] {
    for (int i = 1; i <= 50; ++i) Write("a.yaml", std::to_string(i));
  });
  RunFor(100);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatcherTest, AFileThatAppearsOrGoesIsAChange) {
  Write("a.yaml", "one");
  watcher_->Watch({Path("a.yaml"), Path("later.yaml")});
  RunUntil(1, [&] { Write("later.yaml", "new"); });
  EXPECT_EQ(changes_, 1);
  RunUntil(2, [&] { fs::remove(Path("later.yaml")); });
  EXPECT_EQ(changes_, 2);
}

TEST_F(ConfigWatcherTest, WatchReplacesTheSet) {
  Write("a.yaml", "one");
  fs::create_directories(Path("sub"));
  Write("sub/b.yaml", "one");
  watcher_->Watch({Path("a.yaml")});
  RunUntil(1, [&] { Write("sub/b.yaml", "two"); }, 300);
  EXPECT_EQ(changes_, 0);  // not watched yet
  watcher_->Watch({Path("sub/b.yaml")});
  RunUntil(1, [&] { Write("sub/b.yaml", "three"); });
  EXPECT_EQ(changes_, 1);
  RunUntil(2, [&] { Write("a.yaml", "two"); }, 300);
  EXPECT_EQ(changes_, 1);  // no longer watched
}

}  // namespace
}  // namespace edge::runtime
