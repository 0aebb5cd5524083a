#include "node/admin/federation_endpoints.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/utc_time.h"
#include "ledger/usage_summary.h"
#include "node/admin/query_params.h"
#include "node/gossip/gossip_service.h"
#include "node/pipeline/error_reply.h"

namespace edge::admin {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

Answer Bad(int status, const std::string& message, const char* code) {
  return {status, pipeline::OpenAiErrorBody(status, message, code)};
}

Answer NoFederation() {
  return Bad(404, "This node has no federation (federation.listen is not set).", "no_federation");
}

ledger::RollupValue ValueOf(const federation::UsageCounters& c) {
  auto i = [](uint64_t v) { return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)); };
  ledger::RollupValue v;
  v.requests = i(c.requests);
  v.input_tokens = i(c.input_tokens);
  v.output_tokens = i(c.output_tokens);
  v.cached_input_tokens = i(c.cached_tokens);
  v.cost_micros = i(c.cost_micro_usd);
  v.estimated_cost_micros = i(c.estimated_cost_micro_usd);
  return v;
}

}  // namespace

std::string PeersJson(const std::vector<federation::MemberInfo>& members) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("members");
  w.StartArray();
  for (const federation::MemberInfo& m : members) {
    w.StartObject();
    w.Key("id");
    Str(w, m.id);
    w.Key("address");
    Str(w, m.address);
    w.Key("region");
    Str(w, m.region);
    w.Key("jurisdiction");
    Str(w, m.jurisdiction);
    w.Key("admin_url");
    Str(w, m.admin_url);
    w.Key("state");
    Str(w, federation::MemberStateName(m.state));
    w.Key("incarnation");
    w.Int64(m.incarnation);
    w.Key("last_seen");
    Str(w, FormatRfc3339Micros(m.last_seen_us));
    w.Key("phi");
    // A member never heard from has an unbounded suspicion; JSON has no infinity.
    w.Double(std::isfinite(m.phi) ? m.phi : 1e9);
    w.Key("self");
    w.Bool(m.self);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Answer PeersAnswer(const gossip::GossipService* gossip) {
  if (gossip == nullptr) return NoFederation();
  return {200, PeersJson(gossip->Members())};
}

std::string WitnessJson(std::string_view node, const std::vector<federation::WitnessEntry>& seen) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("node");
  Str(w, node);
  for (auto kind : {federation::WitnessEntry::Kind::kChainHead,
                    federation::WitnessEntry::Kind::kDigest}) {
    w.Key(kind == federation::WitnessEntry::Kind::kChainHead ? "heads" : "digests");
    w.StartArray();
    for (const federation::WitnessEntry& e : seen) {
      if (e.kind != kind) continue;
      w.StartObject();
      if (kind == federation::WitnessEntry::Kind::kChainHead) {
        w.Key("seq");
        w.Uint64(e.seq);
        w.Key("hash");
        Str(w, e.hash_hex);
      } else {
        w.Key("line");
        Str(w, e.digest);
      }
      w.Key("generation");
      w.Int64(e.generation);
      w.Key("received_at");
      Str(w, FormatRfc3339Micros(e.received_at_us));
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Answer WitnessAnswer(std::string_view target, const gossip::GossipService* gossip) {
  if (gossip == nullptr) return NoFederation();
  Result<QueryParams> q = ParseQuery(target);
  if (!q.ok()) return Bad(400, q.status().message(), "invalid_witness_query");
  auto node = q->find("node");
  if (node == q->end() || node->second.empty() || q->size() != 1) {
    return Bad(400, "GET /admin/witness?node=ID: give the id of one node (and nothing else).",
               "invalid_witness_query");
  }
  return {200, WitnessJson(node->second, gossip->Witnessed(node->second))};
}

Result<ledger::SpendResult> GlobalSpend(const federation::GlobalUsage& usage,
                                        const ledger::SpendQuery& q,
                                        std::vector<RegionFreshness>* regions) {
  if (q.granularity == ledger::Granularity::kHour) {
    return InvalidArgument(
        "scope=global counts whole days and months: give period=YYYY-MM or YYYY-MM-DD, or "
        "from/to on midnights.");
  }
  for (const std::string& g : q.group_by) {
    if (g != "team" && g != "feature" && g != "env" && g != "model" && g != "region" &&
        g != "day") {
      return InvalidArgument(
          "scope=global groups by team, feature, env, model, region and day only; '" + g +
          "' stays in each region's own ledger.");
    }
  }
  std::vector<std::string> periods;
  for (const std::string& p : q.periods) periods.push_back(ledger::DisplayPeriod(p));
  std::map<std::string, RegionFreshness> by_region;
  std::map<std::vector<std::string>, ledger::RollupValue> groups;
  ledger::SpendResult result;
  for (const federation::OriginUsage& o : usage.origins) {
    RegionFreshness& r = by_region[o.region];
    r.region = o.region;
    r.as_of_us = r.nodes == 0 ? o.as_of_us : std::min(r.as_of_us, o.as_of_us);
    r.reachable = r.reachable && o.reachable;
    ++r.nodes;
    for (const federation::CellUsage& c : o.cells) {
      if (std::find(periods.begin(), periods.end(), c.cell.period) == periods.end()) continue;
      std::vector<std::string> keys;
      for (const std::string& g : q.group_by) {
        keys.push_back(g == "team"      ? c.cell.team
                       : g == "feature" ? c.cell.feature
                       : g == "env"     ? c.cell.env
                       : g == "model"   ? c.cell.model
                       : g == "day"     ? c.cell.period  // a day cell: "YYYY-MM-DD"
                                        : o.region);
      }
      const ledger::RollupValue v = ValueOf(c.counters);
      groups[std::move(keys)] += v;
      result.totals += v;
    }
  }
  for (auto& [keys, value] : groups) result.rows.push_back({keys, value});
  std::stable_sort(result.rows.begin(), result.rows.end(),
                   [](const ledger::SpendRow& a, const ledger::SpendRow& b) {
                     return a.value.cost_micros > b.value.cost_micros;
                   });
  if (regions != nullptr) {
    for (auto& [name, r] : by_region) regions->push_back(std::move(r));
  }
  return result;
}

}  // namespace edge::admin
