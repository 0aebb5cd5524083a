// `llm-edge spend`: a spend table from a running node (--url, GET /admin/spend) or straight
// from a data directory (--data-dir; a secondary RocksDB open, so it works beside the node).

#include <cstdio>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/money.h"
#include "common/utc_time.h"
#include "ledger/spend.h"
#include "ledger/store.h"
#include "node/admin/query_params.h"
#include "node/admin/spend_json.h"
#include "node/cli/admin_get.h"
#include "node/cli/commands.h"
#include "node/runtime/journal_recovery.h"

namespace edge::cli {
namespace {

constexpr char kSpendUsage[] =
    "usage: llm-edge spend (--url URL --admin-key K | --data-dir DIR) [--by team,feature,...]\n"
    "                      [--period YYYY-MM|YYYY-MM-DD | --from T --to T]\n"
    "                      [--format table|csv|json] [--region NAME] [--global]\n";

struct Args {
  std::string url, admin_key, data_dir, by, period, from, to, format = "table", region;
  bool global = false;  // scope=global: the merged view of every region (needs --url)
};

bool ParseArgs(const std::vector<std::string>& argv, Args* a) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string name = argv[i], value;
    if (name == "--global") {
      a->global = true;
      continue;
    }
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "llm-edge spend: %s needs a value\n%s", name.c_str(), kSpendUsage);
      return false;
    }
    std::string* slot = name == "--url"         ? &a->url
                        : name == "--admin-key" ? &a->admin_key
                        : name == "--data-dir"  ? &a->data_dir
                        : name == "--by"        ? &a->by
                        : name == "--period"    ? &a->period
                        : name == "--from"      ? &a->from
                        : name == "--to"        ? &a->to
                        : name == "--format"    ? &a->format
                        : name == "--region"    ? &a->region
                                                : nullptr;
    if (slot == nullptr) {
      std::fprintf(stderr, "llm-edge spend: unknown option %s\n%s", name.c_str(), kSpendUsage);
      return false;
    }
    *slot = value;
  }
  if (a->url.empty() == a->data_dir.empty() || (!a->url.empty() && a->admin_key.empty())) {
    std::fprintf(stderr, "llm-edge spend: give --url URL --admin-key K, or --data-dir DIR\n%s",
                 kSpendUsage);
    return false;
  }
  if (a->global && a->url.empty()) {
    std::fprintf(stderr, "llm-edge spend: --global asks a node for its merged view: use --url\n");
    return false;
  }
  if (a->format != "table" && a->format != "csv" && a->format != "json") {
    std::fprintf(stderr, "llm-edge spend: --format is table, csv or json\n");
    return false;
  }
  return true;
}

std::string Share(int64_t part, int64_t total) {
  if (total <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(total));
  return buf;
}

std::vector<std::string> Cells(const std::vector<std::string>& keys, const ledger::RollupValue& v,
                               int64_t total_cost) {
  std::vector<std::string> c = keys;
  for (std::string& k : c) {
    if (k.empty()) k.push_back('-');  // (not `k = "-"`: gcc 12 sees a false -Wrestrict there)
  }
  c.push_back(std::to_string(v.requests));
  c.push_back(std::to_string(v.input_tokens));
  c.push_back(std::to_string(v.output_tokens));
  c.push_back(Money::FromMicros(v.cost_micros).ToString());
  c.push_back(Share(v.cost_micros, total_cost));
  c.push_back(Share(v.estimated_cost_micros, v.cost_micros));
  return c;
}

void PrintTable(const std::vector<std::string>& group_by, const std::string& period,
                const ledger::SpendResult& r) {
  // Without grouping the table is its total line; its first column names no dimension.
  const std::vector<std::string> dims = group_by.empty() ? std::vector<std::string>{""} : group_by;
  std::vector<std::string> header = dims;
  for (const char* h : {"requests", "input_tokens", "output_tokens", "cost_usd", "share",
                        "estimated"}) {
    header.push_back(h);
  }
  std::vector<std::vector<std::string>> lines{header};
  if (!group_by.empty()) {
    for (const ledger::SpendRow& row : r.rows) {
      lines.push_back(Cells(row.keys, row.value, r.totals.cost_micros));
    }
  }
  std::vector<std::string> total_keys(dims.size(), "");
  total_keys[0] = "TOTAL";
  lines.push_back(Cells(total_keys, r.totals, r.totals.cost_micros));
  for (size_t i = 1; i < dims.size(); ++i) lines.back()[i] = "";
  std::vector<size_t> width(header.size(), 0);
  for (const auto& l : lines) {
    for (size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], l[i].size());
  }
  std::printf("spend %s\n", period.c_str());
  for (const auto& l : lines) {
    for (size_t i = 0; i < l.size(); ++i) {
      const bool numeric = i >= dims.size();
      std::printf(numeric ? "%*s" : "%-*s", static_cast<int>(width[i]), l[i].c_str());
      std::printf(i + 1 < l.size() ? "  " : "\n");
    }
  }
}

void PrintCsv(const std::vector<std::string>& group_by, const ledger::SpendResult& r) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
      if (c == '"') q.push_back('"');
      q.push_back(c);
    }
    return q + "\"";
  };
  for (const std::string& g : group_by) std::printf("%s,", field(g).c_str());
  std::printf("requests,input_tokens,output_tokens,cached_input_tokens,cost_usd,cost_micro_usd,"
              "estimated_cost_micro_usd\n");
  for (const ledger::SpendRow& row : r.rows) {
    for (const std::string& k : row.keys) std::printf("%s,", field(k).c_str());
    const ledger::RollupValue& v = row.value;
    std::printf("%lld,%lld,%lld,%lld,%s,%lld,%lld\n", static_cast<long long>(v.requests),
                static_cast<long long>(v.input_tokens), static_cast<long long>(v.output_tokens),
                static_cast<long long>(v.cached_input_tokens),
                Money::FromMicros(v.cost_micros).ToString().c_str(),
                static_cast<long long>(v.cost_micros),
                static_cast<long long>(v.estimated_cost_micros));
  }
}

std::string QueryString(const Args& a) {
  std::string q;
  auto add = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    q += q.empty() ? "?" : "&";
    q += name;
    q += '=';
    for (char c : v) {
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.' || c == ',' || c == ':';
      if (plain) {
        q.push_back(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        q += buf;
      }
    }
  };
  add("group_by", a.by);
  add("period", a.period);
  add("from", a.from);
  add("to", a.to);
  if (a.global) add("scope", "global");
  return q;
}

}  // namespace

int RunSpend(const std::vector<std::string>& argv) {
  Args a;
  if (!ParseArgs(argv, &a)) return 2;
  ledger::SpendQuery query;
  Status s = ledger::ParseGroupBy(a.by, &query);
  if (!s.ok()) {
    std::fprintf(stderr, "llm-edge spend: --by: %s\n", s.message().c_str());
    return 2;
  }
  std::string period;
  ledger::SpendResult result;
  std::vector<admin::RegionFreshness> regions;
  std::string json;
  if (!a.url.empty()) {
    Result<AdminResponse> r = AdminGet(a.url, "/admin/spend" + QueryString(a), a.admin_key);
    if (!r.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", r.status().message().c_str());
      return 1;
    }
    if (r->status != 200) {
      std::fprintf(stderr, "llm-edge spend: %s answered %d: %s\n", a.url.c_str(), r->status,
                   r->body.c_str());
      return 1;
    }
    Result<admin::SpendDocument> doc = admin::ParseSpendJson(r->body, query.group_by);
    if (!doc.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", doc.status().message().c_str());
      return 1;
    }
    period = doc->period;
    result = std::move(doc->result);
    regions = std::move(doc->regions);
    json = std::move(r->body);
  } else {
    std::optional<int64_t> from, to;
    if (!a.from.empty()) {
      Result<int64_t> t = ParseUtcTime(a.from);
      if (!t.ok()) {
        std::fprintf(stderr, "llm-edge spend: --from: %s\n", t.status().message().c_str());
        return 2;
      }
      from = *t;
    }
    if (!a.to.empty()) {
      Result<int64_t> t = ParseUtcTimeEnd(a.to);
      if (!t.ok()) {
        std::fprintf(stderr, "llm-edge spend: --to: %s\n", t.status().message().c_str());
        return 2;
      }
      to = *t;
    }
    s = ledger::SetWindow(a.period, from, to, SystemClock().WallMicros(), &query);
    if (!s.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", s.message().c_str());
      return 2;
    }
    if (Status recovered = runtime::RecoverJournalsOfStoppedNode(a.data_dir); !recovered.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", recovered.message().c_str());
      return 1;
    }
    ledger::StoreOptions opts;
    opts.mode = ledger::OpenMode::kSecondary;
    auto store = ledger::Store::Open(a.data_dir + "/ledger", opts);
    if (!store.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", store.status().message().c_str());
      return 1;
    }
    Result<ledger::SpendResult> r = ledger::QuerySpend(**store, query, a.region);
    if (!r.ok()) {
      std::fprintf(stderr, "llm-edge spend: %s\n", r.status().message().c_str());
      return 1;
    }
    period = query.label.empty() ? a.from + "/" + a.to : query.label;
    result = std::move(r).value();
    json = admin::RenderSpendJson(query.group_by, period, "local", result);
  }
  if (a.format == "json") {
    std::printf("%s\n", json.c_str());
  } else if (a.format == "csv") {
    PrintCsv(query.group_by, result);
  } else {
    PrintTable(query.group_by, period, result);
    // scope=global: how fresh each region's numbers are (docs/federation.md).
    for (const admin::RegionFreshness& r : regions) {
      std::printf("region %s: as of %s, %s\n", r.region.c_str(),
                  r.as_of_us > 0 ? FormatRfc3339Micros(r.as_of_us).c_str() : "-",
                  r.reachable ? "reachable" : "NOT reachable (numbers as of then)");
    }
  }
  return 0;
}

}  // namespace edge::cli
