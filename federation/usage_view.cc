#include "federation/usage_view.h"

#include <algorithm>
#include <limits>

namespace edge::federation {
namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

}  // namespace

UsageCounters MaxCounters(const UsageCounters& a, const UsageCounters& b) {
  return {std::max(a.requests, b.requests),
          std::max(a.input_tokens, b.input_tokens),
          std::max(a.output_tokens, b.output_tokens),
          std::max(a.cached_tokens, b.cached_tokens),
          std::max(a.cost_micro_usd, b.cost_micro_usd),
          std::max(a.estimated_cost_micro_usd, b.estimated_cost_micro_usd)};
}

UsageCounters AddCounters(const UsageCounters& a, const UsageCounters& b) {
  return {SaturatingAdd(a.requests, b.requests),
          SaturatingAdd(a.input_tokens, b.input_tokens),
          SaturatingAdd(a.output_tokens, b.output_tokens),
          SaturatingAdd(a.cached_tokens, b.cached_tokens),
          SaturatingAdd(a.cost_micro_usd, b.cost_micro_usd),
          SaturatingAdd(a.estimated_cost_micro_usd, b.estimated_cost_micro_usd)};
}

bool UsageView::MergeUsage(std::string_view origin, const UsageCell& cell,
                           const UsageCounters& counters) {
  auto it = origins_.find(origin);
  if (it == origins_.end()) it = origins_.emplace(std::string(origin), Origin{}).first;
  auto [cell_it, inserted] = it->second.cells.try_emplace(cell, counters);
  if (inserted) return true;
  UsageCounters merged = MaxCounters(cell_it->second, counters);
  if (merged == cell_it->second) return false;
  cell_it->second = merged;
  return true;
}

bool UsageView::MergeBudget(std::string_view origin, const BudgetCell& cell,
                            uint64_t cost_micro_usd) {
  auto it = origins_.find(origin);
  if (it == origins_.end()) it = origins_.emplace(std::string(origin), Origin{}).first;
  auto [cell_it, inserted] = it->second.budget.try_emplace(cell, cost_micro_usd);
  if (inserted) return true;
  if (cell_it->second >= cost_micro_usd) return false;
  cell_it->second = cost_micro_usd;
  return true;
}

void UsageView::Merge(const UsageView& other) {
  for (const auto& [origin, o] : other.origins_) {
    for (const auto& [cell, counters] : o.cells) MergeUsage(origin, cell, counters);
    for (const auto& [cell, cost] : o.budget) MergeBudget(origin, cell, cost);
  }
}

const UsageView::Origin* UsageView::Find(std::string_view origin) const {
  auto it = origins_.find(origin);
  return it == origins_.end() ? nullptr : &it->second;
}

std::map<UsageCell, UsageCounters> UsageView::Total() const {
  std::map<UsageCell, UsageCounters> total;
  for (const auto& [origin, o] : origins_) {
    for (const auto& [cell, counters] : o.cells) total[cell] = AddCounters(total[cell], counters);
  }
  return total;
}

uint64_t UsageView::BudgetTotal(const BudgetCell& cell, std::string_view except) const {
  uint64_t sum = 0;
  for (const auto& [origin, o] : origins_) {
    if (!except.empty() && origin == except) continue;
    auto it = o.budget.find(cell);
    if (it != o.budget.end()) sum = SaturatingAdd(sum, it->second);
  }
  return sum;
}

}  // namespace edge::federation
