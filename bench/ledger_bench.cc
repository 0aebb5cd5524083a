// Ledger records per second on this machine: N submitter threads (standing in for worker
// loops) push finished-request records through the real writer (one thread, group commit)
// into a real RocksDB store in a temporary directory, with roll-ups and the idempotency
// check, as the node does. Not a test: it prints numbers.
//
//   build/bench/ledger_bench [RECORDS=200000] [THREADS=2] [SYNC=0] [COALESCE=1]

#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ledger/recorder.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace {

using edge::ledger::Job;

class RecordJob : public Job {
 public:
  RecordJob(edge::ledger::Recorder& rec, edge::ledger::Record r, std::atomic<int64_t>& done)
      : rec_(rec), r_(std::move(r)), done_(done) {}
  edge::Status Fill(rocksdb::WriteBatch& b, edge::ledger::Store& s) override {
    bool dup = false;
    return rec_.Fill(r_, b, s, &dup);
  }
  void Done(std::unique_ptr<Job>, edge::Status st) override {
    if (!st.ok()) std::abort();
    done_.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  edge::ledger::Recorder& rec_;
  edge::ledger::Record r_;
  std::atomic<int64_t>& done_;
};

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const bool sync = argc > 3 && std::atoi(argv[3]) != 0;
  const bool coalesce = argc <= 4 || std::atoi(argv[4]) != 0;  // as the node does
  std::string tmpl = (std::filesystem::temp_directory_path() / "ledger-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  {
    auto store = edge::ledger::Store::Open(tmpl, {});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    edge::ledger::Recorder recorder;
    std::atomic<int64_t> done{0};
    edge::ledger::WriterOptions wo;
    wo.sync = sync ? edge::ledger::SyncPolicy::kEveryRound : edge::ledger::SyncPolicy::kNone;
    if (coalesce) wo.round_hook = recorder.coalescing_hook();
    auto start = std::chrono::steady_clock::now();
    {
      edge::ledger::Writer writer(**store, wo);
      std::vector<std::thread> producers;
      for (int t = 0; t < threads; ++t) {
        producers.emplace_back([&, t] {
          const char* teams[] = {"search", "ads", "support", "infra"};
          const char* features[] = {"summarize", "chat", "classify"};
          for (int64_t i = t; i < n; i += threads) {
            edge::ledger::Record r;
            r.request_id = "bench" + std::to_string(i);
            r.wall_micros = 1'796'532'342'000'000 + i * 1000;
            r.key_id = "key" + std::to_string(i % 20);
            r.team = teams[i % 4];
            r.feature = features[i % 3];
            r.env = i % 5 == 0 ? "qa" : "prod";
            r.tags = i % 2 ? "customer=acme" : "";
            r.model = "generate";
            r.deployment = "generate/0";
            r.provider = "openai";
            r.region = "eu-west";
            r.input_tokens = 900;
            r.output_tokens = 300;
            r.cost_micros = 5250;
            r.status = 200;
            r.attempts = 1;
            writer.Submit(std::make_unique<RecordJob>(recorder, std::move(r), done));
          }
        });
      }
      for (auto& p : producers) p.join();
      writer.Stop();
      auto s = writer.stats();
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("records=%lld threads=%d sync=%s coalesce=%d seconds=%.3f records_per_s=%.0f rounds=%llu "
                  "records_per_round=%.1f\n",
                  static_cast<long long>(done.load()), threads, sync ? "every-round" : "none", coalesce ? 1 : 0,
                  secs, static_cast<double>(done.load()) / secs,
                  static_cast<unsigned long long>(s.rounds),
                  static_cast<double>(s.jobs) / static_cast<double>(s.rounds ? s.rounds : 1));
    }
  }
  std::filesystem::remove_all(tmpl);
  return 0;
}
