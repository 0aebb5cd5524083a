// What the admin API, `llm-edge spend --url` and `audit verify --witness` read from others: a
// request's query string (node/admin/query_params.h), a node's Spend JSON (node/admin/
// spend_json.h, scope=global regions included) and a witness answer (node/cli/audit_witness.h).
// The first byte picks which: even = query, 'W' = witness, other odd = Spend JSON. Checks:
// never crashes; a Spend JSON that parses renders and parses back to the same rows, totals and
// regions; every witness claim checks against a log that holds exactly what was claimed.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "node/admin/query_params.h"
#include "node/admin/spend_json.h"
#include "node/cli/audit_witness.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto q = edge::admin::ParseQuery(in);
    if (q.ok()) Check(q->size() <= 32);
    return 0;
  }
  if (data[0] == 'W') {
    auto claims = edge::cli::ParseWitnessJson(in, "eu-a", "http://w");
    if (!claims.ok()) return 0;
    edge::cli::WitnessCheck check(*claims);
    for (const auto& c : *claims) {
      if (c.digest) {
        check.AddDigest(c.seq, c.line);
      } else {
        check.AddRecord(c.seq, c.hash);
      }
    }
    // Two claims of one seq with different hashes cannot both hold; otherwise all do.
    std::map<uint64_t, std::string> heads;
    bool conflict = false;
    for (const auto& c : *claims) {
      if (c.digest) continue;
      auto [it, fresh] = heads.emplace(c.seq, c.hash);
      conflict = conflict || (!fresh && it->second != c.hash);
    }
    if (!conflict) {
      std::map<uint64_t, std::string> lines;
      for (const auto& c : *claims) {
        if (!c.digest) continue;
        auto [it, fresh] = lines.emplace(c.seq, c.line);
        conflict = conflict || (!fresh && it->second != c.line);
      }
    }
    Check(conflict || check.Finish().empty());
    return 0;
  }
  const std::vector<std::string> group_by = {"team", "tag:customer"};
  auto doc = edge::admin::ParseSpendJson(in, group_by);
  if (!doc.ok()) return 0;
  std::string again = edge::admin::RenderSpendJson(group_by, doc->period, doc->scope, doc->result,
                                                   doc->regions.empty() ? nullptr : &doc->regions);
  auto back = edge::admin::ParseSpendJson(again, group_by);
  Check(back.ok());
  Check(back->result.rows.size() == doc->result.rows.size());
  for (size_t i = 0; i < doc->result.rows.size(); ++i) {
    Check(back->result.rows[i].keys == doc->result.rows[i].keys);
    Check(back->result.rows[i].value == doc->result.rows[i].value);
  }
  Check(back->result.totals == doc->result.totals);
  Check(back->regions.size() == doc->regions.size());
  return 0;
}
