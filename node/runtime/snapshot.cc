#include "node/runtime/snapshot.h"

#include <map>

#include "node/net/upstream_connection.h"
#include <utility>

namespace edge::runtime {

Result<std::shared_ptr<const Snapshot>> Snapshot::Build(
    config::Config config, std::shared_ptr<const geo::Classifier> geo,
    std::shared_ptr<routing::Router> router) {
  auto snap = std::make_shared<Snapshot>();
  snap->geo = std::move(geo);
  // Deployments with the same trust settings share one context: the system bundle is
  // parsed once, not once per deployment.
  std::map<std::pair<bool, std::string>, std::shared_ptr<net::TlsClientContext>> contexts;
  for (const auto& d : config.model_list) {
    Result<net::ParsedUrl> url = net::ParseUrl(d.api_base);
    if (!url.ok()) {
      return InvalidArgument("deployment " + d.id + ": api_base: " + url.status().message());
    }
    UpstreamTarget target{std::move(url->origin), std::move(url->path), {}, nullptr, {}};
    target.adapter = providers::AdapterFor(d.provider);
    if (target.adapter == nullptr) {
      return InvalidArgument("deployment " + d.id + ": provider " + d.provider + " is not supported");
    }
    providers::Target& pt = target.provider_target;
    pt.provider = d.provider;
    pt.model = d.upstream_model;
    pt.host = net::MakeOriginInfo(target.origin).host_header;  // SigV4 signs the exact Host
    pt.base_path = target.base_path;
    pt.api_key = d.api_key;
    if (!d.api_key.empty()) target.bearer_authorization = "Bearer " + d.api_key;
    pt.api_version = d.api_version;
    pt.aws_region = d.aws_region_name;
    pt.aws_access_key_id = d.aws_access_key_id;
    pt.aws_secret_access_key = d.aws_secret_access_key;
    pt.aws_session_token = d.aws_session_token;
    if (target.origin.https) {
      auto key = std::make_pair(d.ssl_verify.verify, d.ssl_verify.ca_file);
      auto it = contexts.find(key);
      if (it == contexts.end()) {
        auto ctx = net::TlsClientContext::Create(key.first, key.second);
        if (!ctx.ok()) {
          return InvalidArgument("deployment " + d.id + ": ssl_verify: " + ctx.status().message());
        }
        it = contexts.emplace(key, std::move(ctx).value()).first;
      }
      target.origin.tls = it->second;
    }
    snap->targets.push_back(std::move(target));
  }
  snap->config = std::move(config);
  snap->router = router != nullptr ? std::move(router) : std::make_shared<routing::Router>();
  snap->routes = snap->router->StatesFor(snap->config);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

}  // namespace edge::runtime
