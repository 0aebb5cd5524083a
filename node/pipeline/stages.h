#pragma once

// The stages of a client request, in the order pipeline.cc runs them. Each returns whether
// the pipeline continues, waits (the stage answers later) or is done (it replied).

#include "node/pipeline/request_context.h"

namespace edge::pipeline {

Next Authenticate(RequestContext& ctx);          // stage_auth.cc: virtual key -> ctx.key
Next ClassifyJurisdiction(RequestContext& ctx);  // stage_jurisdiction.cc
Next ResolveTags(RequestContext& ctx);           // stage_tags.cc: team / feature / env
Next InspectBody(RequestContext& ctx);           // stage_body.cc: JSON, model, stream
Next ResolveStoredResponses(RequestContext& ctx);  // stored_responses.cc: responses.store
Next CheckBudget(RequestContext& ctx);           // stage_budget.cc: budgets, rpm / tpm
Next ResolveModel(RequestContext& ctx);          // stage_route.cc: alias -> deployment
Next CallUpstream(RequestContext& ctx);          // stage_upstream.cc: send; answers later
Next ListModels(RequestContext& ctx);            // stage_models.cc: GET /v1/models

// Always runs last, once, whatever happened (also when the client went away): records the
// outcome. respond.cc turns upstream events into the client's response and then calls it.
void Finalize(RequestContext& ctx);

}  // namespace edge::pipeline
