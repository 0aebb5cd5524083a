#include "ledger/loop_job.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <thread>
#include <vector>

#include "ledger/test_dir.h"

namespace edge::ledger {
namespace {

struct Seen {
  std::thread::id loop_thread;
  std::vector<int> order;
  std::vector<Status> statuses;
  bool all_on_loop = true;
};

class CountJob : public LoopJob {
 public:
  CountJob(LoopInbox& inbox, Seen& seen, int n) : LoopJob(inbox), seen_(seen), n_(n) {}
  Status Fill(rocksdb::WriteBatch& b, Store& s) override {
    rocksdb::Status st = b.Put(s.Handle(Family::kMeta), std::to_string(n_), "x");
    return st.ok() ? Status::Ok() : Internal("put");
  }
  void OnLoopDone(Status status) override {
    if (std::this_thread::get_id() != seen_.loop_thread) seen_.all_on_loop = false;
    seen_.order.push_back(n_);
    seen_.statuses.push_back(std::move(status));
  }

 private:
  Seen& seen_;
  int n_;
};

TEST(LoopJob, OutcomesArriveOnTheSubmittingLoopInOrderAndTheInboxClosesClean) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  Writer writer(**store, {});
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Seen seen;
  seen.loop_thread = std::this_thread::get_id();
  auto inbox = std::make_unique<LoopInbox>(&loop);
  for (int i = 0; i < 300; ++i) writer.Submit(std::make_unique<CountJob>(*inbox, seen, i));
  bool closed = false;
  // Close at once: it must wait for the 300 outcomes before closing the handle.
  inbox->Close([&] { closed = true; });
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  EXPECT_TRUE(closed);
  ASSERT_EQ(seen.order.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(seen.order[i], i);
    EXPECT_TRUE(seen.statuses[i].ok());
  }
  EXPECT_TRUE(seen.all_on_loop);
  EXPECT_EQ(inbox->outstanding(), 0);
  inbox.reset();
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(LoopJob, JobsRefusedByAStoppedWriterStillReachTheLoop) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  Writer writer(**store, {});
  writer.Stop();
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Seen seen;
  seen.loop_thread = std::this_thread::get_id();
  LoopInbox inbox(&loop);
  writer.Submit(std::make_unique<CountJob>(inbox, seen, 7));
  inbox.Close(nullptr);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(seen.statuses.size(), 1u);
  EXPECT_EQ(seen.statuses[0].code(), Code::kUnavailable);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(LoopJob, AnInboxWithNothingOutstandingClosesAtOnce) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  LoopInbox inbox(&loop);
  bool closed = false;
  inbox.Close([&] { closed = true; });
  inbox.Close([&] { FAIL() << "second close ran"; });
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  EXPECT_TRUE(closed);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Jobs a loop iteration submits through the inbox reach the writer together, at the end of
// the iteration, in order: one wake-up and (the writer being idle) one round for all of them.
TEST(LoopJob, TheInboxHandsAnIterationsJobsToTheWriterAsOneChain) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  Writer writer(**store, {});
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Seen seen;
  seen.loop_thread = std::this_thread::get_id();
  auto inbox = std::make_unique<LoopInbox>(&loop);
  uv_timer_t timer;
  uv_timer_init(&loop, &timer);
  struct Ctx {
    Writer* writer;
    LoopInbox* inbox;
    Seen* seen;
    uint64_t jobs_before_check = 0;
  } ctx{&writer, inbox.get(), &seen};
  timer.data = &ctx;
  // 200 jobs from one callback (as a worker finishing many requests in one iteration).
  uv_timer_start(&timer, [](uv_timer_t* t) {
    auto* c = static_cast<Ctx*>(t->data);
    for (int i = 0; i < 200; ++i) {
      c->inbox->Submit(*c->writer, std::make_unique<CountJob>(*c->inbox, *c->seen, i));
    }
    // Still batched: nothing reached the writer before the callback returned.
    c->jobs_before_check = c->writer->stats().jobs;
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }, 0, 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 1);  // the timer's iteration: its check phase flushes
  bool closed = false;
  inbox->Close([&] { closed = true; });
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  EXPECT_TRUE(closed);
  EXPECT_EQ(ctx.jobs_before_check, 0u);
  ASSERT_EQ(seen.order.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(seen.order[i], i);
    EXPECT_TRUE(seen.statuses[i].ok());
  }
  WriterStats stats = writer.stats();
  EXPECT_EQ(stats.jobs, 200u);
  EXPECT_EQ(stats.rounds, 1u);  // one chain, one push: the writer took it whole
  EXPECT_TRUE(seen.all_on_loop);
  inbox.reset();
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Closing the inbox hands over what is still batched (a worker stopping mid-iteration), and
// a stopped writer's refusals still come back to the loop.
TEST(LoopJob, ClosingTheInboxFlushesItsBatch) {
  TestDir dir;
  auto store = Store::Open(dir.path(), {});
  ASSERT_TRUE(store.ok());
  for (bool stopped : {false, true}) {
    Writer writer(**store, {});
    if (stopped) writer.Stop();
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    Seen seen;
    seen.loop_thread = std::this_thread::get_id();
    LoopInbox inbox(&loop);
    for (int i = 0; i < 5; ++i) inbox.Submit(writer, std::make_unique<CountJob>(inbox, seen, i));
    inbox.Close(nullptr);
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(seen.statuses.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(seen.order[i], i);
      EXPECT_EQ(seen.statuses[i].code(), stopped ? Code::kUnavailable : Code::kOk);
    }
    EXPECT_EQ(uv_loop_close(&loop), 0);
  }
}

}  // namespace
}  // namespace edge::ledger
