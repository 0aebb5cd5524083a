// What the admin API and `llm-edge spend --url` read from others: a request's query string
// (node/admin/query_params.h) and a node's Spend JSON (node/admin/spend_json.h). The first
// byte picks which. Checks: never crashes; a Spend JSON that parses renders and parses back
// to the same rows and totals.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "node/admin/query_params.h"
#include "node/admin/spend_json.h"

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
  const std::vector<std::string> group_by = {"team", "tag:customer"};
  auto doc = edge::admin::ParseSpendJson(in, group_by);
  if (!doc.ok()) return 0;
  std::string again = edge::admin::RenderSpendJson(group_by, doc->period, doc->scope, doc->result);
  auto back = edge::admin::ParseSpendJson(again, group_by);
  Check(back.ok());
  Check(back->result.rows.size() == doc->result.rows.size());
  for (size_t i = 0; i < doc->result.rows.size(); ++i) {
    Check(back->result.rows[i].keys == doc->result.rows[i].keys);
    Check(back->result.rows[i].value == doc->result.rows[i].value);
  }
  Check(back->result.totals == doc->result.totals);
  return 0;
}
