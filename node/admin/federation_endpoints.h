#pragma once

// The admin API's federation parts (docs/federation.md): GET /admin/peers, GET
// /admin/witness?node=ID, and the global view behind GET /admin/spend?scope=global. Pure
// functions of the request and the gossip service's views; admin_handler.cc sends them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "federation/types.h"
#include "ledger/spend.h"
#include "node/admin/ledger_endpoints.h"
#include "node/admin/spend_json.h"

namespace edge::gossip {
class GossipService;
}

namespace edge::admin {

// {"members":[{"id","address","region","jurisdiction","admin_url","state","incarnation",
//   "last_seen","phi","self"}]}
std::string PeersJson(const std::vector<federation::MemberInfo>& members);
Answer PeersAnswer(const gossip::GossipService* gossip);

// {"node":ID,"heads":[{"seq","hash","generation","received_at"}],
//  "digests":[{"line","generation","received_at"}]}, oldest first.
std::string WitnessJson(std::string_view node, const std::vector<federation::WitnessEntry>& seen);
Answer WitnessAnswer(std::string_view target, const gossip::GossipService* gossip);

// The merged view summed over origins for the window of `q` (month or day cells only) and
// grouped by `q.group_by` (team, feature, env, model, region). An unsupported dimension or an
// hourly window is InvalidArgument.
Result<ledger::SpendResult> GlobalSpend(const federation::GlobalUsage& usage,
                                        const ledger::SpendQuery& q,
                                        std::vector<RegionFreshness>* regions);

}  // namespace edge::admin
