#include "ledger/recorder.h"

#include <rocksdb/write_batch.h>

namespace edge::ledger {

std::vector<std::pair<std::string_view, std::string_view>> SplitTags(std::string_view tags) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!tags.empty()) {
    size_t comma = tags.find(',');
    std::string_view item = tags.substr(0, comma);
    tags = comma == std::string_view::npos ? std::string_view() : tags.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) continue;
    if (item.find('\0') != std::string_view::npos) continue;
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

RollupValue DeltaOf(const Record& r) {
  RollupValue v;
  v.requests = 1;
  v.input_tokens = r.input_tokens;
  v.output_tokens = r.output_tokens;
  v.cached_input_tokens = r.cached_input_tokens;
  v.cost_micros = r.cost_micros;
  v.estimated_requests = r.estimated ? 1 : 0;
  v.estimated_cost_micros = r.estimated ? r.cost_micros : 0;
  v.failed_requests = r.status == 0 || r.status >= 400 ? 1 : 0;
  v.unpriced_requests = r.priced ? 0 : 1;
  return v;
}

Dims DimsOf(const Record& r) {
  return Dims{r.team, r.feature, r.env, r.model, r.deployment, r.key_id};
}

Status Recorder::Fill(const Record& r, rocksdb::WriteBatch& batch, Store& store, bool* duplicate) {
  return Fill(r, EncodeRecord(r), batch, store, duplicate);
}

Status Recorder::Fill(const Record& r, std::string_view encoded, rocksdb::WriteBatch& batch,
                      Store& store, bool* duplicate) {
  *duplicate = false;
  if (r.request_id.empty()) return InvalidArgument("ledger record without a request id");
  if (!unique_ids_) {
    if (recent_.count(r.request_id) != 0) {
      *duplicate = true;
      return Status::Ok();
    }
    EDGE_ASSIGN_OR_RETURN(auto stored, store.Get(Family::kRecords, r.request_id));
    if (stored.has_value()) {
      *duplicate = true;
      return Status::Ok();
    }
  }
  rocksdb::ColumnFamilyHandle* records = store.Handle(Family::kRecords);
  rocksdb::ColumnFamilyHandle* rollups = store.Handle(Family::kRollups);
  rocksdb::Status s = batch.Put(records, r.request_id,
                                rocksdb::Slice(encoded.data(), encoded.size()));
  if (!s.ok()) return FromRocks(s, "ledger batch");
  if (coalesce_) {
    staged_ = &r;  // summed into its group by JobFilled, if the job's writes are kept
  } else {
    const RollupValue delta = DeltaOf(r);
    const std::string encoded = EncodeRollup(delta);
    ForEachCell(DimsOf(r), r.tags, r.wall_micros, [&](std::string key) {
      if (s.ok()) s = batch.Merge(rollups, key, encoded);
    });
    if (!s.ok()) return FromRocks(s, "ledger batch");
  }
  if (unique_ids_) return Status::Ok();
  recent_.insert(r.request_id);
  if (coalesce_) job_ids_.push_back(r.request_id);
  order_.push_back(r.request_id);
  while (order_.size() > capacity_) {
    recent_.erase(order_.front());
    order_.pop_front();
  }
  return Status::Ok();
}

void Recorder::ForEachCell(const Dims& dims, std::string_view tags, int64_t wall_micros,
                           const std::function<void(std::string)>& fn) {
  const auto pairs = SplitTags(tags);
  for (Granularity g : {Granularity::kHour, Granularity::kDay, Granularity::kMonth}) {
    std::string period = PeriodOf(g, wall_micros);
    fn(CellKey(g, period, dims));
    for (const auto& [name, value] : pairs) fn(TagCellKey(g, period, name, value, dims));
  }
}

// Records of one round nearly all share their dimensions, hour and tags: they are summed per
// such group first (one key built, one hash lookup per record), and each group is spread over
// its hour, day, month and tag cells once, at Seal.
void Recorder::AddToGroup(const Record& r) {
  group_key_.clear();
  group_key_ += PeriodOf(Granularity::kHour, r.wall_micros);
  for (const std::string* v : {&r.team, &r.feature, &r.env, &r.model, &r.deployment, &r.key_id}) {
    group_key_ += '\0';
    group_key_ += *v;
  }
  group_key_ += '\0';
  group_key_ += r.tags;
  auto [it, added] = round_.try_emplace(group_key_);
  Group& group = it->second;
  if (added) {
    group.dims = DimsOf(r);
    group.tags = r.tags;
    group.wall_micros = r.wall_micros;
  }
  group.sum += DeltaOf(r);
}

void Recorder::JobFilled(bool kept) {
  if (kept && staged_ != nullptr) {
    AddToGroup(*staged_);
  } else if (!kept) {
    // Not in the batch: a later job of the same round with one of these ids must not be
    // taken for a duplicate.
    for (const std::string& id : job_ids_) recent_.erase(id);
  }
  staged_ = nullptr;
  job_ids_.clear();
}

Status Recorder::Seal(rocksdb::WriteBatch& batch, Store& store) {
  rocksdb::ColumnFamilyHandle* rollups = store.Handle(Family::kRollups);
  std::unordered_map<std::string, RollupValue> cells;
  for (const auto& entry : round_) {
    const auto& group = entry.second;  // not a structured binding: clang 14 cannot capture one
    ForEachCell(group.dims, group.tags, group.wall_micros,
                [&](std::string cell) { cells[std::move(cell)] += group.sum; });
  }
  round_.clear();
  rocksdb::Status s;
  for (const auto& [key, sum] : cells) {
    s = batch.Merge(rollups, key, EncodeRollup(sum));
    if (!s.ok()) break;
  }
  if (summary_ != nullptr && s.ok()) summary_->Stage(cells);
  return FromRocks(s, "ledger batch");
}

void Recorder::Written(const Status& written) {
  if (summary_ != nullptr) summary_->Written(written.ok());
}

void Recorder::Forget(const std::string& request_id) { recent_.erase(request_id); }

}  // namespace edge::ledger
