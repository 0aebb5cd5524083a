#pragma once

// GET /admin/budgets: every key and team account the ledger keeps this month, with what it
// spent, holds in flight, and its monthly budgets (the dashboard's "budget use"; the same
// figures as the llm_edge_budget_* lines of /metrics).

#include "node/admin/ledger_endpoints.h"

namespace edge::admin {

Answer BudgetsAnswer(const runtime::LedgerService* ledger);

}  // namespace edge::admin
