#!/usr/bin/env bash
# Instructions per request for each stage of the node's own work, under load: runs
# bench/threads.sh with CALLGRIND=1 (wrk against a node under valgrind, every feature on by
# default) and reads each stage's inclusive cost from callgrind's per-thread files.
#
#   bench/stages.sh [BINARY]            # FEATURES=all (default) | minimal, as threads.sh
#
# Inclusive costs overlap where stages nest (translate is inside call upstream; SHA-256 inside
# the audit record): the table says which. Counts under valgrind: libcrypto's SHA-256 runs its
# SSSE3 code there (~7k instructions per ~220-byte record), on the machine its SHA-NI code.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build-release/node/llm-edge}
command -v callgrind_annotate >/dev/null || { echo "callgrind_annotate not found (valgrind)" >&2; exit 1; }
OUT=$(FEATURES=${FEATURES:-all} CALLGRIND=1 KEEP_TMP=1 "$ROOT/bench/threads.sh" "$BIN" 2>&1)
echo "$OUT" | head -1
DIR=$(echo "$OUT" | awk '/^kept / {print $2}')
N=$(awk '/requests in/ {print $1}' "$DIR/wrk.txt")
[[ -n "$DIR" && -n "$N" && "$N" -gt 0 ]] || { echo "$OUT" >&2; exit 1; }
[[ "${KEEP_TMP:-0}" == 1 ]] && echo "kept $DIR" || trap 'rm -rf "$DIR"' EXIT

# The thread whose callgrind file holds `marker`.
thread_file() { grep -l -- "$1" "$DIR"/cg.out-* 2>/dev/null | head -1; }
WORKER=$(thread_file 'cli::Worker::Run')
WRITER=$(thread_file 'ledger::Writer::Run')
GOSSIP=$(thread_file 'GossipLoop')
annotate() { callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null; }
[[ -n "$WORKER" ]] && annotate "$WORKER" >"$DIR/worker.txt"
[[ -n "$WRITER" ]] && annotate "$WRITER" >"$DIR/writer.txt"

# stage LABEL FILE PATTERN...: the sum of the inclusive counts of the functions matching any
# pattern (fixed strings, matched against callgrind's full names), per request.
stage() {
  local label=$1 file=$2; shift 2
  [[ -f "$file" ]] || { printf '  %-44s %8s\n' "$label" "-"; return; }
  local total=0 v
  for p in "$@"; do
    v=$( (grep -F -- "$p" "$file" || true) | head -1 | awk '{gsub(",", "", $1); print $1}')
    total=$((total + ${v:-0}))
  done
  printf '  %-44s %8d\n' "$label" $((total / N))
}
thread_total() {
  local f=$1
  [[ -n "$f" ]] || { echo 0; return; }
  echo $(( $(awk '/^summary:/ {print $2; exit}' "$f") / N ))
}

echo "instructions per request ($N requests):"
echo "worker thread (event loop): $(thread_total "$WORKER")"
stage "parse the request (llhttp)" "$DIR/worker.txt" "net::RequestParser::Execute("
stage "auth (virtual key)" "$DIR/worker.txt" "pipeline::Authenticate("
stage "geo (caller -> country -> jurisdiction)" "$DIR/worker.txt" "pipeline::ClassifyJurisdiction("
stage "tags" "$DIR/worker.txt" "pipeline::ResolveTags("
stage "body (JSON, model, stream)" "$DIR/worker.txt" "pipeline::InspectBody("
stage "budget (reserve; rpm/tpm)" "$DIR/worker.txt" "pipeline::CheckBudget("
stage "route (plan over deployments)" "$DIR/worker.txt" "pipeline::ResolveModel("
stage "call upstream (translate, connect, send)" "$DIR/worker.txt" "pipeline::CallUpstream("
stage "  of which translate" "$DIR/worker.txt" "PassthroughRequest(" "openai::RewriteRequest("
stage "parse the response" "$DIR/worker.txt" "net::ResponseParser::Feed("
stage "finalize (usage, cost, records, commit)" "$DIR/worker.txt" "pipeline::Finalize("
stage "  of which the ledger record" "$DIR/worker.txt" "pipeline::BuildRecord("
stage "  of which the audit record (built, encoded)" "$DIR/worker.txt" "pipeline::AddAuditRecord("
stage "reply after the commit (held reply)" "$DIR/worker.txt" "ledger::LoopInbox::Drain("
echo "ledger writer thread: $(thread_total "$WRITER")"
stage "ledger (record, roll-ups)" "$DIR/writer.txt" "ledger::Recorder::Fill(" "ledger::Recorder::Seal(" "ledger::Recorder::JobFilled("
stage "audit (stored record, chain)" "$DIR/writer.txt" "ledger::AuditLog::CommitPart::Fill("
stage "  of which SHA-256 (see above)" "$DIR/writer.txt" "ledger::ChainHash("
stage "  of which the stored value (its hash included)" "$DIR/writer.txt" "ledger::EncodeStoredRecord"
stage "RocksDB write (WAL, memtables)" "$DIR/writer.txt" "ledger::Store::Write("
stage "gossip fold (usage summary)" "$DIR/writer.txt" "ledger::UsageSummary::Stage(" "ledger::UsageSummary::Written("
echo "gossip thread: $(thread_total "$GOSSIP")"
