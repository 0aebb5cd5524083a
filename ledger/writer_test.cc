#include "ledger/writer.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/store.h"
#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

// gcc 12 sees a false -Wrestrict in `"literal" + std::to_string(i)`.
std::string Name(std::string prefix, int i) { return prefix += std::to_string(i); }
std::string Name(std::string prefix, const std::string& s) { return prefix += s; }

// What the jobs of a test saw, in the order the writer ran them. Touched by the writer
// thread (Fill, Done) and read by the test after Stop() or a completion wait.
struct Journal {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> filled;               // job names in Fill order
  std::vector<std::pair<std::string, Status>> done;  // in Done order
  std::vector<uint64_t> round_of;                // Fill-time round counter per fill
  void WaitDone(size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done.size() >= n; });
  }
};

class PutJob : public Job {
 public:
  PutJob(Journal& j, std::string name, Status fill_result = Status::Ok())
      : j_(j), name_(std::move(name)), fill_result_(std::move(fill_result)) {}
  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    {
      std::lock_guard lock(j_.mu);
      j_.filled.push_back(name_);
    }
    // Writes even when about to fail: the savepoint must take it back out.
    rocksdb::Status s = batch.Put(store.Handle(Family::kMeta), name_, Name("v:", name_));
    if (!s.ok()) return FromRocks(s, "put");
    return fill_result_;
  }
  void Done(std::unique_ptr<Job>, Status status) override {
    std::lock_guard lock(j_.mu);
    j_.done.emplace_back(name_, std::move(status));
    j_.cv.notify_all();
  }

 private:
  Journal& j_;
  std::string name_;
  Status fill_result_;
};

// Blocks the writer thread inside Fill until released, so that later submissions queue up
// and must arrive together in the next round.
class GateJob : public Job {
 public:
  GateJob(std::mutex& mu, std::condition_variable& cv, bool& entered, bool& open)
      : mu_(mu), cv_(cv), entered_(entered), open_(open) {}
  Status Fill(rocksdb::WriteBatch&, Store&) override {
    std::unique_lock lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    return Status::Ok();
  }
  void Done(std::unique_ptr<Job>, Status) override {}

 private:
  std::mutex& mu_;
  std::condition_variable& cv_;
  bool& entered_;
  bool& open_;
};

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::Open(dir_.path(), {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::optional<std::string> Meta(const std::string& key) {
    auto v = store_->Get(Family::kMeta, key);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : std::nullopt;
  }
  TestDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(WriterTest, OneThreadsJobsAreFilledAndDoneInSubmissionOrder) {
  Journal j;
  Writer w(*store_, {});
  for (int i = 0; i < 500; ++i) w.Submit(std::make_unique<PutJob>(j, Name("k", i)));
  w.Stop();
  ASSERT_EQ(j.filled.size(), 500u);
  ASSERT_EQ(j.done.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(j.filled[i], Name("k", i));
    EXPECT_EQ(j.done[i].first, Name("k", i));
    EXPECT_TRUE(j.done[i].second.ok());
  }
  EXPECT_EQ(Meta("k499"), "v:k499");
  EXPECT_EQ(w.stats().jobs, 500u);
}

TEST_F(WriterTest, JobsQueuedDuringARoundShareTheNextBatch) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
  Journal j;
  Writer w(*store_, {});
  w.Submit(std::make_unique<GateJob>(mu, cv, entered, open));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  for (int i = 0; i < 100; ++i) w.Submit(std::make_unique<PutJob>(j, Name("b", i)));
  {
    std::lock_guard lock(mu);
    open = true;
  }
  cv.notify_all();
  j.WaitDone(100);
  // The gate's round plus exactly one more: the hundred waiting jobs were one WriteBatch.
  EXPECT_EQ(w.stats().rounds, 2u);
  w.Stop();
  EXPECT_EQ(Meta("b99"), "v:b99");
}

TEST_F(WriterTest, RoundsAreCappedAndTheRestFollowsInOrder) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
  Journal j;
  Writer w(*store_, {.sync = SyncPolicy::kNone, .max_jobs_per_round = 7});
  w.Submit(std::make_unique<GateJob>(mu, cv, entered, open));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  for (int i = 0; i < 20; ++i) w.Submit(std::make_unique<PutJob>(j, Name("c", i)));
  {
    std::lock_guard lock(mu);
    open = true;
  }
  cv.notify_all();
  w.Stop();
  EXPECT_EQ(w.stats().rounds, 1u + 3u);  // 20 jobs in rounds of 7, 7, 6
  for (int i = 0; i < 20; ++i) EXPECT_EQ(j.filled[i], Name("c", i));
}

TEST_F(WriterTest, ConcurrentSubmittersKeepEachThreadsOrderAndLoseNothing) {
  Journal j;
  Writer w(*store_, {});
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        w.Submit(std::make_unique<PutJob>(j, Name("t", t) + "." + std::to_string(i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  w.Stop();
  ASSERT_EQ(j.done.size(), static_cast<size_t>(kThreads * kPerThread));
  std::map<int, int> next;  // per thread: the next index it must show
  for (const std::string& name : j.filled) {
    int t = name[1] - '0';
    int i = std::stoi(name.substr(name.find('.') + 1));
    EXPECT_EQ(i, next[t]) << name;
    next[t] = i + 1;
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  EXPECT_EQ(Meta("t3.1999"), "v:t3.1999");
}

TEST_F(WriterTest, AFailingFillFailsOnlyItsJobAndItsWritesAreTakenBack) {
  Journal j;
  Writer w(*store_, {});
  w.Submit(std::make_unique<PutJob>(j, "before"));
  w.Submit(std::make_unique<PutJob>(j, "bad", InvalidArgument("no such thing")));
  w.Submit(std::make_unique<PutJob>(j, "after"));
  w.Stop();
  ASSERT_EQ(j.done.size(), 3u);
  EXPECT_TRUE(j.done[0].second.ok());
  EXPECT_EQ(j.done[1].second.code(), Code::kInvalidArgument);
  EXPECT_TRUE(j.done[2].second.ok());
  EXPECT_EQ(Meta("before"), "v:before");
  EXPECT_EQ(Meta("bad"), std::nullopt);
  EXPECT_EQ(Meta("after"), "v:after");
  EXPECT_EQ(w.stats().failed_jobs, 1u);
}

TEST_F(WriterTest, AFailedWriteFailsEveryJobOfTheRound) {
  // A store opened read-only refuses writes: the round's jobs all hear about it.
  {
    Writer w(*store_, {});
    Journal j0;
    w.Submit(std::make_unique<PutJob>(j0, "seed"));
    w.Stop();
  }
  store_.reset();
  StoreOptions read_only;
  read_only.mode = OpenMode::kReadOnly;
  auto ro = Store::Open(dir_.path(), read_only);
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  Journal j;
  Writer w(**ro, {});
  w.Submit(std::make_unique<PutJob>(j, "x"));
  w.Submit(std::make_unique<PutJob>(j, "y"));
  w.Stop();
  ASSERT_EQ(j.done.size(), 2u);
  EXPECT_FALSE(j.done[0].second.ok());
  EXPECT_FALSE(j.done[1].second.ok());
  EXPECT_GE(w.stats().failed_rounds, 1u);
}

TEST_F(WriterTest, ARoundIsNotWrittenWhenTheDiskIsAlmostFull) {
  Journal j;
  WriterOptions o;
  o.min_free_bytes = uint64_t{1} << 62;  // more than any disk has free
  Writer w(*store_, o);
  w.Submit(std::make_unique<PutJob>(j, "full"));
  w.Stop();
  ASSERT_EQ(j.done.size(), 1u);
  EXPECT_EQ(j.done[0].second.code(), Code::kUnavailable);
  EXPECT_NE(j.done[0].second.message().find("disk full"), std::string::npos);
  EXPECT_EQ(Meta("full"), std::nullopt);
}

TEST_F(WriterTest, StopDrainsEverythingSubmittedAndRefusesTheRest) {
  Journal j;
  auto w = std::make_unique<Writer>(*store_, WriterOptions{});
  std::atomic<bool> go{true};
  std::atomic<int> submitted{0};
  std::thread producer([&] {
    for (int i = 0; go.load(); ++i) {
      w->Submit(std::make_unique<PutJob>(j, Name("d", i)));
      submitted.fetch_add(1);
    }
  });
  while (submitted.load() < 1000) std::this_thread::yield();
  w->Stop();
  go.store(false);
  producer.join();
  // Every Submit got its Done: written ones ok, late ones refused; none lost, none twice.
  ASSERT_EQ(j.done.size(), static_cast<size_t>(submitted.load()));
  size_t ok = 0;
  int last_ok = -1, first_refused = INT32_MAX;
  for (auto& [name, st] : j.done) {
    int i = std::stoi(name.substr(1));
    if (st.ok()) {
      ++ok;
      last_ok = std::max(last_ok, i);
      EXPECT_EQ(Meta(name), Name("v:", name));
    } else {
      first_refused = std::min(first_refused, i);
      EXPECT_EQ(st.code(), Code::kUnavailable);
      EXPECT_EQ(Meta(name), std::nullopt);
    }
  }
  EXPECT_LT(last_ok, first_refused);  // a prefix was written, the rest refused
  EXPECT_GE(ok, 1000u);
  EXPECT_EQ(w->stats().jobs, ok);
}

// A job nobody waits for (a journaled commit: its answer is out already).
class UnawaitedJob : public PutJob {
 public:
  using PutJob::PutJob;
  bool Awaited() const override { return false; }
};

TEST_F(WriterTest, LingerGathersJobsNobodyWaitsForIntoOneRound) {
  WriterOptions o;
  o.linger_us = 2'000'000;
  Journal j;
  Writer w(*store_, o);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    w.Submit(std::make_unique<UnawaitedJob>(j, Name("u", i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  j.WaitDone(5);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(w.stats().rounds, 1u);
  for (const auto& [name, status] : j.done) EXPECT_TRUE(status.ok()) << name;
}

// After a round the writer lingers for the next one's jobs: those it did not wait for do not
// wake it (a system call each, and a context switch), at a steady low rate of commits as much
// as at a high one.
TEST_F(WriterTest, JobsNobodyWaitsForDoNotWakeTheWriterAfterARound) {
  WriterOptions o;
  o.linger_us = 2'000'000;
  Journal j;
  Writer w(*store_, o);
  w.Submit(std::make_unique<PutJob>(j, "awaited"));  // the queue was empty: a wake-up
  j.WaitDone(1);
  EXPECT_EQ(w.stats().wakeups, 1u);
  for (int i = 0; i < 5; ++i) w.Submit(std::make_unique<UnawaitedJob>(j, Name("u", i)));
  j.WaitDone(6);
  const WriterStats stats = w.stats();
  EXPECT_EQ(stats.wakeups, 1u);
  EXPECT_EQ(stats.rounds, 2u);
  for (const auto& [name, status] : j.done) EXPECT_TRUE(status.ok()) << name;
  EXPECT_EQ(Meta("u4"), "v:u4");
}

TEST_F(WriterTest, AJobSomeoneWaitsForEndsTheLingerAtOnce) {
  WriterOptions o;
  o.linger_us = 60'000'000;
  Journal j;
  Writer w(*store_, o);
  w.Submit(std::make_unique<UnawaitedJob>(j, "unawaited"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  {
    std::lock_guard lock(j.mu);
    EXPECT_TRUE(j.done.empty());  // lingering
  }
  const auto start = std::chrono::steady_clock::now();
  w.Submit(std::make_unique<PutJob>(j, "awaited"));
  j.WaitDone(2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(j.done[0].first, "unawaited");  // still in submission order
  EXPECT_EQ(j.done[1].first, "awaited");
}

TEST_F(WriterTest, StopEndsTheLingerAndWritesWhatWasQueued) {
  WriterOptions o;
  o.linger_us = 60'000'000;
  Journal j;
  auto w = std::make_unique<Writer>(*store_, o);
  w->Submit(std::make_unique<UnawaitedJob>(j, "queued"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  w->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(j.done.size(), 1u);
  EXPECT_TRUE(j.done[0].second.ok());
  auto v = store_->Get(Family::kMeta, "queued");
  ASSERT_TRUE(v.ok() && v->has_value());
}

TEST_F(WriterTest, WritesSurviveReopen) {
  Journal j;
  {
    Writer w(*store_, {.sync = SyncPolicy::kEveryRound});
    for (int i = 0; i < 50; ++i) w.Submit(std::make_unique<PutJob>(j, Name("r", i)));
  }
  store_.reset();
  auto again = Store::Open(dir_.path(), {});
  ASSERT_TRUE(again.ok());
  auto v = (*again)->Get(Family::kMeta, "r49");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "v:r49");
}

}  // namespace
}  // namespace edge::ledger
