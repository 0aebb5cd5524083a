#pragma once

// The Spend JSON of the contract (DESIGN.md "Spend JSON"), written by GET /admin/spend and
// `llm-edge spend --data-dir --format json`, and read back by `llm-edge spend --url`:
//
//   {"period":"2026-12","scope":"local",
//    "rows":[{"team":"search",...,"requests":N,"input_tokens":N,"output_tokens":N,
//             "cached_input_tokens":N,"cost_usd":1.234567,"cost_micro_usd":1234567,
//             "estimated_cost_micro_usd":N,"estimated_share":0.01,"unpriced_requests":N}],
//    "totals":{same counters}}
//
// One field per group_by dimension, named as in group_by ("tag:customer" included).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ledger/spend.h"

namespace edge::admin {

// How fresh a region's numbers are in a scope=global answer: the oldest as_of of its nodes,
// and whether every one of them is reachable (docs/federation.md).
struct RegionFreshness {
  std::string region;
  int64_t as_of_us = 0;
  bool reachable = true;
  int nodes = 0;
};

// With `regions` (scope=global), the document also has
// "regions":{<region>:{"as_of":RFC 3339,"reachable":bool,"nodes":N}}.
std::string RenderSpendJson(const std::vector<std::string>& group_by, const std::string& period,
                            std::string_view scope, const ledger::SpendResult& result,
                            const std::vector<RegionFreshness>* regions = nullptr);

struct SpendDocument {
  std::string period;
  std::string scope;
  ledger::SpendResult result;
  std::vector<RegionFreshness> regions;  // scope=global; as_of_us 0 when unreadable
};

// Reads a Spend JSON document (a node's answer: untrusted) for the columns `group_by`.
// InvalidArgument naming what is wrong.
Result<SpendDocument> ParseSpendJson(std::string_view json,
                                     const std::vector<std::string>& group_by);

}  // namespace edge::admin
