#include "node/runtime/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace edge::runtime {
namespace {

// A loop with one worker's buffer on it; closed (and checked) at the end.
struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
  }
};

std::string Line(size_t worker, size_t seq) {
  // About 200 bytes, like a real line.
  return "{\"worker\":" + std::to_string(worker) + ",\"seq\":" + std::to_string(seq) +
         ",\"pad\":\"" + std::string(170, 'x') + "\"}\n";
}

void Append(AccessLog::Buffer& b, const std::string& line) {
  b.text().append(line);
  b.LineAdded();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Nobody reads the pipe: the workers' appends must still return (lines beyond the queue's
// bound are dropped and counted, never waited for). Once a reader drains it, every line that
// was not dropped arrives whole and in each worker's order.
TEST(AccessLog, AFullPipeNeverBlocksAWorkerAndKeepsOrder) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto log = AccessLog::OnDescriptor(fds[1], "pipe");
  constexpr size_t kWorkers = 2;
  // Twice the queue's bound in all: the pipe (64 KiB) and the queue (8 MiB) fill up.
  const size_t per_worker = 2 * AccessLog::kMaxQueuedBytes / Line(0, 0).size() / kWorkers;
  {
    std::vector<std::thread> workers;
    for (size_t w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&, w] {
        Loop loop;
        AccessLog::Buffer buffer(*log, &loop.loop);
        for (size_t i = 0; i < per_worker; ++i) Append(buffer, Line(w, i));
        buffer.Close([] {});
        uv_run(&loop.loop, UV_RUN_DEFAULT);  // the close callbacks, while the buffer lives
      });
    }
    for (auto& t : workers) t.join();  // returned although nobody read the pipe
  }
  EXPECT_GT(log->dropped_lines(), 0u);

  std::string got;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  log.reset();  // writes what was queued, joins its thread
  close(fds[1]);
  reader.join();
  close(fds[0]);

  std::vector<std::string> lines = Lines(got);
  std::vector<long> last(kWorkers, -1);
  for (const std::string& line : lines) {
    unsigned w = 0;
    long seq = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "{\"worker\":%u,\"seq\":%ld,", &w, &seq), 2) << line;
    ASSERT_LT(w, kWorkers);
    EXPECT_EQ(line + "\n", Line(w, static_cast<size_t>(seq)));  // whole
    EXPECT_GT(seq, last[w]);                                    // in order
    last[w] = seq;
  }
}

TEST(AccessLog, CountsLinesWrittenAndDropped) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto log = AccessLog::OnDescriptor(fds[1], "pipe");
  const size_t total = 3 * AccessLog::kMaxQueuedBytes / Line(0, 0).size();
  {
    Loop loop;
    AccessLog::Buffer buffer(*log, &loop.loop);
    for (size_t i = 0; i < total; ++i) Append(buffer, Line(0, i));
    buffer.Close([] {});
    uv_run(&loop.loop, UV_RUN_DEFAULT);  // the close callbacks, while the buffer lives
  }
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  const uint64_t dropped = log->dropped_lines();
  log.reset();
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(Lines(got).size() + dropped, total);
}

// logrotate: the file is renamed, then Reopen(); later lines go to a new file at the path,
// earlier ones stayed in the renamed file, none twice.
TEST(AccessLog, ReopenStartsANewFileAtThePath) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("access_log_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/access.log";
  auto opened = AccessLog::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<AccessLog> log = std::move(opened).value();
  {
    Loop loop;
    AccessLog::Buffer buffer(*log, &loop.loop);
    for (size_t i = 0; i < 10; ++i) Append(buffer, Line(0, i));
    buffer.Flush();
    for (int i = 0; i < 500 && log->written_lines() < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::filesystem::rename(path, path + ".1");
    log->Reopen();
    for (int i = 0; i < 500 && !std::filesystem::exists(path); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(std::filesystem::exists(path));
    for (size_t i = 10; i < 20; ++i) Append(buffer, Line(0, i));
    buffer.Close([] {});
    uv_run(&loop.loop, UV_RUN_DEFAULT);  // the close callbacks, while the buffer lives
  }
  log.reset();
  std::vector<std::string> old_lines = Lines(ReadAll(path + ".1"));
  std::vector<std::string> new_lines = Lines(ReadAll(path));
  ASSERT_EQ(old_lines.size(), 10u);
  ASSERT_EQ(new_lines.size(), 10u);
  EXPECT_EQ(old_lines[9] + "\n", Line(0, 9));
  EXPECT_EQ(new_lines[0] + "\n", Line(0, 10));
  std::filesystem::remove_all(dir);
}

TEST(AccessLog, AFileThatCannotBeOpenedIsAnError) {
  auto opened = AccessLog::Open("/no/such/dir/access.log");
  EXPECT_FALSE(opened.ok());
}

}  // namespace
}  // namespace edge::runtime
