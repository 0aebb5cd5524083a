#include "node/admin/budgets_endpoint.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>

#include "node/pipeline/error_reply.h"

namespace edge::admin {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Micros(JsonWriter& w, const char* name, std::optional<int64_t> v) {
  w.Key(name);
  if (v) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

}  // namespace

Answer BudgetsAnswer(const runtime::LedgerService* ledger) {
  if (ledger == nullptr) {
    return {503, pipeline::OpenAiErrorBody(503, "This node has no ledger.", "no_ledger")};
  }
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("accounts");
  w.StartArray();
  for (const ledger::Account* a : ledger->budgets().All()) {
    w.StartObject();
    w.Key("kind");
    Str(w, a->kind());
    w.Key("name");
    Str(w, a->name());
    Micros(w, "spent_micro_usd", a->spent_micros());
    Micros(w, "reserved_micro_usd", a->reserved_micros());
    Micros(w, "budget_micro_usd", a->budget_micros());
    Micros(w, "soft_budget_micro_usd", a->soft_micros());
    Micros(w, "global_budget_micro_usd", a->global_budget_micros());
    Micros(w, "remote_spent_micro_usd",
           a->global_budget_micros() ? std::optional<int64_t>(a->remote_spent_micros())
                                     : std::nullopt);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, std::string(sb.GetString(), sb.GetSize())};
}

}  // namespace edge::admin
