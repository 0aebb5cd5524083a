#include "node/admin/spend_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/money.h"
#include "common/utc_time.h"
#include "providers/json_tree.h"

namespace edge::admin {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Raw(Writer& w, const std::string& number) {
  w.RawValue(number.data(), number.size(), rapidjson::kNumberType);
}

void Counters(Writer& w, const ledger::RollupValue& v) {
  w.Key("requests");
  w.Int64(v.requests);
  w.Key("input_tokens");
  w.Int64(v.input_tokens);
  w.Key("output_tokens");
  w.Int64(v.output_tokens);
  w.Key("cached_input_tokens");
  w.Int64(v.cached_input_tokens);
  w.Key("cost_usd");
  Raw(w, Money::FromMicros(v.cost_micros).ToString());  // exact: six decimals, no float
  w.Key("cost_micro_usd");
  w.Int64(v.cost_micros);
  w.Key("estimated_cost_micro_usd");
  w.Int64(v.estimated_cost_micros);
  w.Key("estimated_share");
  w.Double(v.cost_micros > 0 ? static_cast<double>(v.estimated_cost_micros) /
                                   static_cast<double>(v.cost_micros)
                             : 0.0);
  w.Key("estimated_requests");
  w.Int64(v.estimated_requests);
  w.Key("failed_requests");
  w.Int64(v.failed_requests);
  w.Key("unpriced_requests");
  w.Int64(v.unpriced_requests);
}

Status ReadInt(const providers::JsonNode& obj, std::string_view name, int64_t* out) {
  const providers::JsonNode* n = obj.Find(name);
  if (n == nullptr) return Status::Ok();  // absent: 0 (older or newer nodes)
  std::optional<int64_t> v = n->IsNumber() ? n->Int64() : std::nullopt;
  if (!v) return InvalidArgument("spend JSON: '" + std::string(name) + "' must be an integer");
  *out = *v;
  return Status::Ok();
}

Status ReadCounters(const providers::JsonNode& obj, ledger::RollupValue* v) {
  if (!obj.IsObject()) return InvalidArgument("spend JSON: a row must be an object");
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "requests", &v->requests));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "input_tokens", &v->input_tokens));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "output_tokens", &v->output_tokens));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "cached_input_tokens", &v->cached_input_tokens));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "cost_micro_usd", &v->cost_micros));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "estimated_cost_micro_usd", &v->estimated_cost_micros));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "estimated_requests", &v->estimated_requests));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "failed_requests", &v->failed_requests));
  EDGE_RETURN_IF_ERROR(ReadInt(obj, "unpriced_requests", &v->unpriced_requests));
  return Status::Ok();
}

}  // namespace

std::string RenderSpendJson(const std::vector<std::string>& group_by, const std::string& period,
                            std::string_view scope, const ledger::SpendResult& result,
                            const std::vector<RegionFreshness>* regions) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("period");
  w.String(period.data(), static_cast<rapidjson::SizeType>(period.size()));
  w.Key("scope");
  w.String(scope.data(), static_cast<rapidjson::SizeType>(scope.size()));
  w.Key("rows");
  w.StartArray();
  for (const ledger::SpendRow& row : result.rows) {
    w.StartObject();
    for (size_t i = 0; i < group_by.size() && i < row.keys.size(); ++i) {
      w.Key(group_by[i].data(), static_cast<rapidjson::SizeType>(group_by[i].size()));
      w.String(row.keys[i].data(), static_cast<rapidjson::SizeType>(row.keys[i].size()));
    }
    Counters(w, row.value);
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals");
  w.StartObject();
  Counters(w, result.totals);
  w.EndObject();
  if (regions != nullptr) {
    w.Key("regions");
    w.StartObject();
    for (const RegionFreshness& r : *regions) {
      w.Key(r.region.data(), static_cast<rapidjson::SizeType>(r.region.size()));
      w.StartObject();
      w.Key("as_of");
      const std::string as_of = FormatRfc3339Micros(r.as_of_us);
      w.String(as_of.data(), static_cast<rapidjson::SizeType>(as_of.size()));
      w.Key("reachable");
      w.Bool(r.reachable);
      w.Key("nodes");
      w.Int(r.nodes);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

Result<SpendDocument> ParseSpendJson(std::string_view json,
                                     const std::vector<std::string>& group_by) {
  providers::JsonTree tree;
  Status parsed = tree.Parse(json);
  if (!parsed.ok()) return InvalidArgument("spend JSON " + parsed.message());
  const providers::JsonNode& root = tree.root();
  if (!root.IsObject()) return InvalidArgument("spend JSON must be an object");
  SpendDocument doc;
  const providers::JsonNode* period = root.Find("period");
  if (period != nullptr && period->IsString()) doc.period = period->text();
  const providers::JsonNode* scope = root.Find("scope");
  if (scope != nullptr && scope->IsString()) doc.scope = scope->text();
  const providers::JsonNode* rows = root.Find("rows");
  if (rows == nullptr || !rows->IsArray()) return InvalidArgument("spend JSON: 'rows' must be an array");
  for (const providers::JsonNode& r : *rows) {
    ledger::SpendRow row;
    EDGE_RETURN_IF_ERROR(ReadCounters(r, &row.value));
    for (const std::string& g : group_by) {
      const providers::JsonNode* v = r.Find(g);
      if (v == nullptr || !v->IsString()) {
        return InvalidArgument("spend JSON: a row has no string '" + g + "'");
      }
      row.keys.emplace_back(v->text());
    }
    doc.result.rows.push_back(std::move(row));
  }
  const providers::JsonNode* totals = root.Find("totals");
  if (totals == nullptr) return InvalidArgument("spend JSON: 'totals' is missing");
  EDGE_RETURN_IF_ERROR(ReadCounters(*totals, &doc.result.totals));
  if (const providers::JsonNode* regions = root.Find("regions"); regions != nullptr) {
    if (!regions->IsObject()) return InvalidArgument("spend JSON: 'regions' must be an object");
    for (const providers::JsonNode& value : *regions) {
      RegionFreshness r;
      r.region = std::string(value.name());
      if (!value.IsObject()) return InvalidArgument("spend JSON: a region must be an object");
      if (const providers::JsonNode* as_of = value.Find("as_of"); as_of && as_of->IsString()) {
        Result<int64_t> t = ParseUtcTime(as_of->text());
        if (t.ok()) r.as_of_us = *t;
      }
      const providers::JsonNode* reachable = value.Find("reachable");
      r.reachable = reachable != nullptr && reachable->IsBool() && reachable->GetBool();
      doc.regions.push_back(std::move(r));
    }
  }
  return doc;
}

}  // namespace edge::admin
