#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "node/pipeline/edge_headers.h"
#include "node/pipeline/stages.h"

namespace edge::pipeline {

// The aliases this key may use, in OpenAI's list shape.
Next ListModels(RequestContext& ctx) {
  const config::Config& cfg = ctx.snapshot->config;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("object");
  w.String("list");
  w.Key("data");
  w.StartArray();
  const auto& allowed = ctx.key->models;
  for (const auto& [alias, deployments] : cfg.deployments_by_alias) {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), alias) == allowed.end()) {
      continue;
    }
    w.StartObject();
    w.Key("id");
    w.String(alias.data(), static_cast<rapidjson::SizeType>(alias.size()));
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int(0);
    w.Key("owned_by");
    w.String("llm-edge");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  ctx.reply_status = 200;
  ctx.StopOwnTime();
  net::HeaderList& headers = ReplyHeaders();
  headers.Add("Content-Type", "application/json");
  AddEdgeHeaders(ctx, headers, /*success=*/true);
  ctx.exchange->Reply(200, headers, std::string_view(sb.GetString(), sb.GetSize()));
  ctx.exchange = nullptr;
  return Next::kReplied;
}

}  // namespace edge::pipeline
