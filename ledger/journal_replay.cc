#include "ledger/journal_replay.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "ledger/audit_binary.h"
#include "ledger/journal_entry.h"
#include "ledger/record.h"

namespace edge::ledger {
namespace {

// What the replay's jobs report back to the thread waiting for them.
struct ReplayState {
  std::mutex mu;
  std::condition_variable done_cv;
  size_t pending = 0;
  ReplayCounts counts;
  Status first_error;
};

class ReplayJob final : public Job {
 public:
  ReplayJob(std::string payload, Recorder& recorder, AuditLog* audit, ReplayState& state)
      : payload_(std::move(payload)), recorder_(recorder), audit_(audit), state_(state) {}

  Status Fill(rocksdb::WriteBatch& batch, Store& store) override {
    std::optional<JournalEntry> entry = ParseJournalEntry(payload_);
    std::optional<Record> record = entry ? DecodeRecord(entry->record) : std::nullopt;
    // An audit record that does not decode would sit in the chain as a damaged link forever.
    AuditRecord audit;
    if (!record || (entry->audit_format == 2 && !entry->audit_tail.empty() &&
                    !DecodeRecordFields(entry->audit_tail, &audit))) {
      outcome_ = kUnreadable;
      return Status::Ok();
    }
    EDGE_ASSIGN_OR_RETURN(auto stored, store.Get(Family::kRecords, record->request_id));
    if (stored.has_value()) {
      outcome_ = kAlready;
      return Status::Ok();
    }
    record_ = std::move(*record);
    bool duplicate = false;
    EDGE_RETURN_IF_ERROR(recorder_.Fill(record_, batch, store, &duplicate));
    if (audit_ != nullptr && !entry->audit_tail.empty()) {
      audit_part_ =
          audit_->MakeCommitPartFromTail(std::string(entry->audit_tail), entry->audit_format);
      EDGE_RETURN_IF_ERROR(audit_part_->Fill(batch, store));
    }
    outcome_ = kWritten;
    return Status::Ok();
  }

  void Done(std::unique_ptr<Job> self, Status status) override {
    if (audit_part_) audit_part_->Written(status);
    std::lock_guard lock(state_.mu);
    if (!status.ok()) {
      if (state_.first_error.ok()) state_.first_error = std::move(status);
    } else if (outcome_ == kWritten) {
      ++state_.counts.written;
    } else if (outcome_ == kAlready) {
      ++state_.counts.already;
    } else {
      ++state_.counts.unreadable;
    }
    if (--state_.pending == 0) state_.done_cv.notify_all();
    self.reset();
  }

 private:
  enum Outcome { kUnreadable, kAlready, kWritten };
  std::string payload_;
  Recorder& recorder_;
  AuditLog* audit_;
  ReplayState& state_;
  Record record_;  // the Recorder reads it until the round's JobFilled
  std::unique_ptr<JobPart> audit_part_;
  Outcome outcome_ = kUnreadable;
};

}  // namespace

Result<ReplayCounts> ReplayJournals(const std::vector<JournalRing*>& rings, Store& store,
                                    Writer& writer, Recorder& recorder, AuditLog* audit) {
  std::vector<std::string> payloads;
  std::vector<std::string> damaged;
  for (JournalRing* ring : rings) {
    Status s = ring->ForEachPending([&](std::string_view p) { payloads.emplace_back(p); });
    if (!s.ok()) damaged.push_back(s.message());
  }
  if (payloads.empty()) {
    for (JournalRing* ring : rings) ring->Clear();
    ReplayCounts none;
    none.damaged = std::move(damaged);
    return none;
  }
  // Whether an entry's record is already stored is a point lookup in the records family,
  // whose memtable (a vector, store.cc) would be copied and sorted for each: flushed first.
  if (rocksdb::ColumnFamilyHandle* h = store.Handle(Family::kRecords)) {
    EDGE_RETURN_IF_ERROR(FromRocks(store.db()->Flush(rocksdb::FlushOptions(), h), "journal replay"));
  }
  ReplayState state;
  state.pending = payloads.size();
  Job* first = nullptr;
  Job* last = nullptr;
  for (std::string& p : payloads) {
    auto* job = new ReplayJob(std::move(p), recorder, audit, state);
    if (last == nullptr) {
      first = job;
    } else {
      last->Chain(job);
    }
    last = job;
  }
  writer.SubmitChain(first);
  std::unique_lock lock(state.mu);
  state.done_cv.wait(lock, [&] { return state.pending == 0; });
  if (!state.first_error.ok()) return state.first_error;
  for (JournalRing* ring : rings) ring->Clear();
  state.counts.damaged = std::move(damaged);
  return state.counts;
}

std::string JournalDir(const std::string& data_dir) { return data_dir + "/journal"; }

std::string JournalPath(const std::string& data_dir, unsigned index) {
  return JournalDir(data_dir) + "/worker-" + std::to_string(index) + ".ring";
}

Result<std::vector<std::string>> JournalFiles(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return paths;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".ring") paths.push_back(e.path().string());
  }
  if (ec) return Unavailable("journal " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

Result<OpenedJournals> OpenJournals(const std::string& dir) {
  OpenedJournals out;
  EDGE_ASSIGN_OR_RETURN(std::vector<std::string> paths, JournalFiles(dir));
  std::error_code ec;
  for (const std::string& path : paths) {
    auto ring = JournalRing::Open(path, JournalRing::kDefaultCapacity);
    if (ring.ok()) {
      out.rings.push_back(std::move(ring).value());
      continue;
    }
    if (ring.status().code() != Code::kInternal) return ring.status();  // I/O, not content
    std::filesystem::rename(path, path + ".unreadable", ec);
    out.set_aside.push_back(ring.status().message() + (ec ? "; not renamed: " + ec.message()
                                                         : "; renamed to .unreadable"));
  }
  return out;
}

}  // namespace edge::ledger
