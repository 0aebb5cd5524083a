#include "node/runtime/ledger_service.h"

#include <rocksdb/write_batch.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <string_view>
#include <vector>

#include "ledger/journal_replay.h"
#include "ledger/rollup_key.h"
#include "ledger/rollup_value.h"
#include "node/runtime/log.h"

namespace edge::runtime {
namespace {

// How long a writer round may wait for more commits when nobody waits for the ones it has
// (ledger/writer.h, WriterOptions::linger_us). A round costs its thread far more than its
// records (the wake-up, the WAL write, the roll-up cells, a wake-up of each worker, caches
// gone cold): at 10 ms instead of 3 the ledger's threads took 4.7 instead of 5.7 us per request
// at 28k req/s (bench/threads.sh, three alternations), and the writer 37-50 instead of 45-66
// us per stream at 8 streams (~570 a second). A worker's journal holds 10 ms of its commits
// many times over (1 MiB; ~200 commits at 20k req/s per worker); when it is full the commit
// is awaited, which ends the linger at once.
constexpr int64_t kWriterLingerUs = 10000;

// Free space below which a failed store is not resumed: where the writer stops writing.
constexpr uint64_t kResumeFreeBytes = ledger::WriterOptions{}.min_free_bytes;

std::optional<int64_t> Micros(const std::optional<double>& usd) {
  if (!usd) return std::nullopt;
  // The config checked >= 0; beyond a trillion dollars a budget is as good as none.
  return static_cast<int64_t>(std::min(*usd, 1e12) * 1e6 + 0.5);
}

bool ReadOnlyFileSystem(const std::string& dir) {
  struct statvfs fs;
  return statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
}

// A write that proves the store takes writes again.
class ProbeJob : public ledger::Job {
 public:
  explicit ProbeJob(LedgerService& svc) : svc_(svc) {}
  Status Fill(rocksdb::WriteBatch& batch, ledger::Store& store) override {
    return ledger::FromRocks(batch.Put(store.Handle(ledger::Family::kMeta), "probe", "1"),
                             "ledger probe");
  }
  void Done(std::unique_ptr<Job>, Status status) override { svc_.ReportWrite(status); }

 private:
  LedgerService& svc_;
};

}  // namespace

Result<std::unique_ptr<LedgerService>> LedgerService::Open(const config::Config& cfg,
                                                           int64_t now_wall_micros) {
  std::unique_ptr<LedgerService> svc(new LedgerService());
  ledger::StoreOptions opts;
  opts.retention_days = static_cast<int>(cfg.ledger.retention_days);
  opts.record_lookups = false;  // the recorder trusts the node's unique ids (below)
  std::string dir = cfg.node.data_dir + "/ledger";
  auto store = ledger::Store::Open(dir, opts);
  if (!store.ok() && ReadOnlyFileSystem(cfg.node.data_dir)) {
    // A data dir that is read-only from the start is a store failure like one that turns
    // read-only later (docs/ledger.md): ledger.on_error decides whether the node serves
    // unbilled or refuses. The existing store is read as it is (this month's spend still
    // counts against the budgets); nothing is written until a restart on a writable dir.
    ledger::StoreOptions ro = opts;
    ro.mode = ledger::OpenMode::kReadOnly;
    auto read_only = ledger::Store::Open(dir, ro);
    if (!read_only.ok()) {
      return Unavailable("ledger: node.data_dir " + cfg.node.data_dir +
                         " is on a read-only file system and holds no ledger store to read (" +
                         store.status().message() + ")");
    }
    store = std::move(read_only);
    svc->healthy_.store(false);
    svc->last_error_ = "ledger store " + dir +
                       ": the file system is read-only; the store is open read-only and takes "
                       "no records until the node is restarted on a writable data dir";
    log::Error("ledger store failing", {{"error", svc->last_error_},
                                        {"on_error", cfg.ledger.on_error}});
  }
  if (!store.ok()) return Status(store.status().code(), "ledger: " + store.status().message());
  svc->store_ = std::move(store).value();
  svc->ApplyConfig(cfg);
  EDGE_RETURN_IF_ERROR(svc->LoadSpent(cfg, now_wall_micros));
  ledger::WriterOptions wopts;
  wopts.round_hook = svc->recorder_.coalescing_hook();  // one merge per roll-up cell per round
  // A journaled commit's answer is out before its round: rounds may wait for more commits
  // (bench/ledger_cost.sh, 2 workers, 16 connections: 0 ms 33.7k req/s, 1 ms 37k, 3 ms 38.5k;
  // and see kWriterLingerUs).
  wopts.linger_us = kWriterLingerUs;
  svc->recorder_.trust_unique_ids();  // node/net/request_id.h: ids never repeat, not even across restarts
  if (cfg.federation.enabled()) {
    // The summary the gossip carries: continues from the roll-ups, then follows every round.
    Status loaded = svc->summary_.Load(*svc->store_, now_wall_micros);
    if (!loaded.ok()) return Status(loaded.code(), "ledger: " + loaded.message());
    svc->recorder_.set_summary(&svc->summary_);
    svc->summary_enabled_ = true;
  }
  svc->writer_ = std::make_unique<ledger::Writer>(*svc->store_, wopts);
  return svc;
}

LedgerService::~LedgerService() {
  if (writer_) writer_->Stop();
  writer_.reset();
  if (!healthy_.load()) {
    // RocksDB 7.8 aborts the process on an assertion when it closes a WAL whose append failed
    // (WritableFileWriter::AssertFalseAndGetStatusForPrevError), as after the file system
    // turned read-only under it. A store still failing at exit is left to the process's end,
    // as a kill would leave it: what reached its WAL is replayed on the next open. Kept
    // reachable from a never-destroyed list: deliberately not closed, not leaked (LSan).
    static auto* abandoned = new std::vector<std::unique_ptr<ledger::Store>>();
    abandoned->push_back(std::move(store_));
    return;
  }
  store_.reset();
}

void LedgerService::ApplyConfig(const config::Config& cfg) {
  refuse_on_error_.store(cfg.ledger.on_error == "refuse");
  std::map<std::string, std::string, std::less<>> team_of_key;
  for (const config::VirtualKey& k : cfg.keys) {
    ledger::Account* a = budgets_.GetOrCreate("key", k.id);
    a->SetLimits(Micros(k.budget_usd_monthly), Micros(k.soft_budget_usd_monthly), k.rpm, k.tpm);
    a->SetGlobalBudget(Micros(k.budget_usd_monthly_global));
    if (!k.team.empty()) team_of_key[k.id] = k.team;
  }
  for (const config::Team& t : cfg.teams) {
    ledger::Account* a = budgets_.GetOrCreate("team", t.name);
    a->SetLimits(Micros(t.budget_usd_monthly), Micros(t.soft_budget_usd_monthly), t.rpm, t.tpm);
    a->SetGlobalBudget(Micros(t.budget_usd_monthly_global));
  }
  summary_.SetKeyTeams(std::move(team_of_key));
}

// Spent amounts come from the month's roll-up cells, so budgets survive restarts. A cell
// counts for the team budget its key's configured team owns, as stage_budget charges it;
// only keys without a team charge the cell's team tag.
Status LedgerService::LoadSpent(const config::Config& cfg, int64_t now_wall_micros) {
  std::map<std::string_view, std::string_view> team_of_key;
  for (const config::VirtualKey& k : cfg.keys) {
    if (!k.team.empty()) team_of_key[k.id] = k.team;
  }
  std::string period = ledger::PeriodOf(ledger::Granularity::kMonth, now_wall_micros);
  std::string prefix = ledger::CellPrefix(ledger::Granularity::kMonth, period);
  prefix.push_back('\0');
  std::map<std::string, int64_t> by_key, by_team;
  Status bad;
  Status s = store_->Scan(ledger::Family::kRollups, prefix, ledger::PrefixEnd(prefix),
                          [&](std::string_view k, std::string_view v) {
                            auto cell = ledger::ParseCellKey(k);
                            auto value = ledger::DecodeRollup(v);
                            if (!cell || !value) {
                              bad = Internal("ledger: damaged roll-up cell for " + period);
                              return false;
                            }
                            by_key[cell->dims.key_id] += value->cost_micros;
                            auto owner = team_of_key.find(cell->dims.key_id);
                            std::string_view team = owner != team_of_key.end()
                                                        ? owner->second
                                                        : std::string_view(cell->dims.team);
                            if (!team.empty()) by_team[std::string(team)] += value->cost_micros;
                            return true;
                          });
  EDGE_RETURN_IF_ERROR(s);
  EDGE_RETURN_IF_ERROR(bad);
  const int32_t month = ledger::MonthIndex(now_wall_micros);
  for (const ledger::Account* a : budgets_.All()) {
    auto* account = const_cast<ledger::Account*>(a);
    const auto& sums = a->kind() == "key" ? by_key : by_team;
    auto it = sums.find(a->name());
    account->LoadSpent(month, it == sums.end() ? 0 : it->second);
  }
  return Status::Ok();
}

void LedgerService::StartJournals(const config::Config& cfg, unsigned workers,
                                  int64_t now_wall_micros) {
  if (store_->mode() != ledger::OpenMode::kReadWrite || !healthy()) return;
  const std::string dir = ledger::JournalDir(cfg.node.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    log::Warn("ledger journal off: responses wait for their records' rounds",
              {{"dir", dir}, {"error", ec.message()}});
    return;
  }
  auto found = ledger::OpenJournals(dir);
  if (!found.ok()) {
    log::Error("ledger journal unreadable; left as it is, and off until it can be replayed",
               {{"dir", dir}, {"error", found.status().ToString()}});
    return;
  }
  for (const std::string& problem : found->set_aside) {
    log::Error("ledger journal file unreadable: set aside, its records are lost",
               {{"error", problem}});
  }
  std::vector<ledger::JournalRing*> rings;
  for (auto& r : found->rings) rings.push_back(r.get());
  auto replayed = ledger::ReplayJournals(rings, *store_, *writer_, recorder_, audit_);
  if (!replayed.ok()) {
    log::Error("ledger journal not replayed; left as it is, and off until it can be",
               {{"dir", dir}, {"error", replayed.status().ToString()}});
    return;
  }
  for (const std::string& problem : replayed->damaged) {
    log::Error("ledger journal damaged: the entries before the damage were written, the rest "
               "are lost", {{"error", problem}});
  }
  if (replayed->written + replayed->already + replayed->unreadable > 0) {
    log::Info("ledger journal replayed: records of answered requests the last process had "
              "not written are written now",
              {{"written", std::to_string(replayed->written)},
               {"already_stored", std::to_string(replayed->already)},
               {"unreadable", std::to_string(replayed->unreadable)}});
    Status reloaded = LoadSpent(cfg, now_wall_micros);
    if (!reloaded.ok()) log::Error("ledger: budgets not reloaded", {{"error", reloaded.ToString()}});
  }
  std::vector<std::unique_ptr<ledger::JournalRing>> mine(workers);
  for (auto& r : found->rings) {
    bool kept = false;
    for (unsigned i = 0; i < workers && !kept; ++i) {
      if (r->path() == ledger::JournalPath(cfg.node.data_dir, i)) {
        mine[i] = std::move(r);
        kept = true;
      }
    }
    if (!kept) std::filesystem::remove(r->path(), ec);  // a worker this node no longer has
  }
  for (unsigned i = 0; i < workers; ++i) {
    if (mine[i] != nullptr) continue;
    auto ring = ledger::JournalRing::Open(ledger::JournalPath(cfg.node.data_dir, i),
                                          ledger::JournalRing::kDefaultCapacity);
    if (!ring.ok()) {
      log::Warn("ledger journal off: responses wait for their records' rounds",
                {{"error", ring.status().ToString()}});
      return;
    }
    mine[i] = std::move(ring).value();
  }
  journals_ = std::move(mine);
}

void LedgerService::AwaitHandedOver(int timeout_ms) const {
  struct Barrier final : ledger::Job {
    std::shared_ptr<std::promise<void>> done = std::make_shared<std::promise<void>>();
    Status Fill(rocksdb::WriteBatch&, ledger::Store&) override { return Status::Ok(); }
    void Done(std::unique_ptr<Job>, Status) override { done->set_value(); }
  };
  if (journals_.empty()) return;  // every answer waited for its record
  auto job = std::make_unique<Barrier>();
  std::future<void> done = job->done->get_future();
  writer_->Submit(std::move(job));
  done.wait_for(std::chrono::milliseconds(timeout_ms));
}

void LedgerService::ReportWrite(const Status& s) {
  if (s.ok()) {
    if (!healthy_.load(std::memory_order_relaxed)) {
      healthy_.store(true);
      log::Info("ledger store writes again");
    }
    return;
  }
  bool was = healthy_.exchange(false);
  // A store opened read-only (a read-only data dir at start) keeps the reason Open gave.
  if (store_ != nullptr && store_->mode() != ledger::OpenMode::kReadWrite) return;
  {
    std::lock_guard lock(error_mu_);
    last_error_ = s.ToString();
  }
  if (was) log::Error("ledger store failing", {{"error", s.ToString()}});
}

std::string LedgerService::last_error() const {
  std::lock_guard lock(error_mu_);
  return last_error_;
}

void LedgerService::MaybeProbe(int64_t now_us) {
  int64_t last = last_probe_us_.load(std::memory_order_relaxed);
  if (now_us - last < 1'000'000) return;
  if (!last_probe_us_.compare_exchange_strong(last, now_us)) return;
  // Once the file system has room again, RocksDB is told to resume; a probe write then
  // tells the workers (ReportWrite) that records are written again.
  if (store_->ResumeIfRoom(kResumeFreeBytes).ok()) {
    writer_->Submit(std::make_unique<ProbeJob>(*this));
  }
}

}  // namespace edge::runtime
