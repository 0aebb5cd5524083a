// routing::ReadNeeds and Route::Plan/Next on arbitrary request bodies (the router reads
// images, tools, response_format and the prompt size from an untrusted body). Checks: never
// crashes; reading is deterministic; a pinned request's candidates and attempts are all in
// its jurisdiction whatever the body says; an unpinned one gets at least one attempt when
// some deployment declares no limits; the attempt loop ends.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "node/routing/router.h"

namespace {

using namespace edge::routing;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct World {
  edge::config::Config cfg;
  Router router;
  States states;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World;
    auto cfg = edge::config::LoadFromString(R"(model_list:
  - model_name: m
    litellm_params: {model: openai/a, api_base: "http://h/v1"}
    model_info: {jurisdiction: EU, supports_vision: false, supports_function_calling: false,
                 supports_response_schema: false, max_input_tokens: 20}
  - model_name: m
    litellm_params: {model: openai/b, api_base: "http://h/v1"}
    model_info: {jurisdiction: US}
  - model_name: long
    litellm_params: {model: openai/c, api_base: "http://h/v1"}
    model_info: {jurisdiction: EU, max_input_tokens: 100000}
router_settings:
  fallbacks: [{m: [long]}]
  context_window_fallbacks: [{m: [long]}]
)", "fuzz.yaml");
    Check(cfg.ok());
    world->cfg = std::move(cfg).value();
    world->states = world->router.StatesFor(world->cfg);
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  RequestNeeds a = ReadNeeds(body);
  RequestNeeds b = ReadNeeds(body);
  Check(a.images == b.images && a.tools == b.tools && a.json_schema == b.json_schema &&
        a.prompt_tokens == b.prompt_tokens && a.prompt_tokens >= 0);

  // The same bytes as an upstream's Retry-After: 0 .. an hour, deterministic.
  int64_t ms = RetryAfterMs(body);
  Check(ms >= 0 && ms <= 3600000 && ms == RetryAfterMs(body));

  World& w = TheWorld();
  Rng rng(size);
  for (std::string_view pinned : {std::string_view(), std::string_view("EU")}) {
    Route route;
    bool planned = route.Plan(w.cfg, w.states, "m", pinned, body, false);
    // The US deployment declares no limits: an unpinned request always has somewhere to go.
    if (pinned.empty()) Check(planned);
    for (const Candidate& c : route.decision.candidates) {
      if (!pinned.empty() && c.excluded == Exclusion::kNone) Check(c.jurisdiction == pinned);
    }
    int attempts = 0;
    while (planned) {
      auto next = route.Next(w.router, rng, 1000, 0);
      if (!next) break;
      Check(++attempts <= 16);
      if (!pinned.empty()) Check(w.cfg.model_list[*next].jurisdiction == pinned);
      route.End(AttemptOutcome::kCancelled, 0, -1, 0, 0, 1000);
    }
    if (planned) Check(attempts >= 1);
  }
  return 0;
}
