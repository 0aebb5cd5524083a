#pragma once

// responses.store: the Responses API's server-side state for providers that have none. A
// translated answer is kept in the region's ledger store (ledger/response_store.h) as part of
// the request's ledger commit; a later request naming it (previous_response_id,
// item_reference) is resolved from the store before it is translated
// (providers/api/responses_state.h). To an OpenAI deployment the request still passes
// through as sent: OpenAI keeps its own state.

#include <string_view>

#include "node/pipeline/request_context.h"

namespace edge::pipeline {

// The stage after InspectBody (stages.h). With responses.store on, for a Responses request:
// notes its input items to keep with its answer, and when it names stored state, reads it
// (off the loop) and makes ctx.request the resolved conversation; the pipeline resumes
// (ResumeAfterStoredState) when the read is back. Otherwise continues at once.
Next ResolveStoredResponses(RequestContext& ctx);

// A translated Responses answer (the whole response object) completed: adds it to the
// request's ledger commit when responses.store is on. Call before CompleteRequest.
void KeepResponse(RequestContext& ctx, std::string_view response);

}  // namespace edge::pipeline
