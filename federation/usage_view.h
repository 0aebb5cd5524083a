#pragma once

// The usage summaries as a state-based CRDT (Shapiro et al. 2011, a grow-only map of
// max-registers per origin): per origin, per cell, each counter is the maximum ever received.
// An origin's counters only grow (a restarted origin continues from its ledger's roll-ups), so
// the maximum is its latest value; the global view sums over origins. Merge is idempotent,
// commutative and associative: a summary received twice, late or out of order, or from an
// earlier generation, never double counts and never goes back.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "federation/types.h"

namespace edge::federation {

class UsageView {
 public:
  struct Origin {
    std::map<UsageCell, UsageCounters> cells;
    std::map<BudgetCell, uint64_t> budget;
    bool operator==(const Origin&) const = default;
  };

  // Per-field maximum with what is held. Returns whether anything grew.
  bool MergeUsage(std::string_view origin, const UsageCell& cell, const UsageCounters& counters);
  bool MergeBudget(std::string_view origin, const BudgetCell& cell, uint64_t cost_micro_usd);
  // Every origin of `other` into this one (the CRDT join).
  void Merge(const UsageView& other);

  const std::map<std::string, Origin, std::less<>>& origins() const { return origins_; }
  const Origin* Find(std::string_view origin) const;

  // Sums over origins: the world's usage per cell, and one budget subject's spend in a month.
  // `except` leaves one origin out (a node adds its own live figure instead of its last
  // gossiped one).
  std::map<UsageCell, UsageCounters> Total() const;
  uint64_t BudgetTotal(const BudgetCell& cell, std::string_view except = {}) const;

  bool operator==(const UsageView&) const = default;

 private:
  std::map<std::string, Origin, std::less<>> origins_;
};

// Per-field maximum of a and b.
UsageCounters MaxCounters(const UsageCounters& a, const UsageCounters& b);
// Per-field sum of a and b (saturating).
UsageCounters AddCounters(const UsageCounters& a, const UsageCounters& b);

}  // namespace edge::federation
