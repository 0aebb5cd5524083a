#pragma once

// Where a deployment's endpoint runs, and which jurisdiction that is, from the table in
// config/cloud_regions.yaml (compiled in). Internal to config/ but for tests and
// `llm-edge check`.

#include <string>
#include <string_view>

#include "config/config.h"

namespace edge::config {

// The cloud region a deployment runs in, or "": bedrock's aws_region_name; else LiteLLM's
// region_name or vertex_location; else the region named by an Azure AI or Vertex api_base host.
std::string CloudRegionOf(const Deployment& d, std::string_view region_name,
                          std::string_view vertex_location);

// The jurisdiction of a deployment whose model_info has none: a Bedrock inference profile's
// (eu./us./apac. ...), else its cloud region's; "" = unknown (never eligible for pinned
// traffic).
std::string CloudJurisdiction(const Deployment& d);

// The table itself: `table` is aws, azure, gcp or bedrock_profiles; "" when not listed.
std::string_view RegionJurisdiction(std::string_view table, std::string_view region);

}  // namespace edge::config
