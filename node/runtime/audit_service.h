#pragma once

// The node's routing audit log (ledger/audit_log.h) in the process: opened on the ledger's
// store with the node's signing key (node.data_dir/node_key.pem, made on first start), and a
// timer on the main loop that asks the writer for a digest once a second, which the chain
// writes only when audit.digest_every_s has passed with records unsigned. One per process;
// the workers add records through the ledger's commit (pipeline/audit_record.cc).

#include <uv.h>

#include <memory>

#include "common/result.h"
#include "config/config.h"
#include "ledger/audit_log.h"
#include "ledger/store.h"
#include "ledger/writer.h"

namespace edge::runtime {

class AuditService {
 public:
  // Main loop thread, before the workers start. `store` and `writer` must outlive the
  // service's jobs: destroy the service after the writer stopped.
  static Result<std::unique_ptr<AuditService>> Open(const config::Config& cfg,
                                                    ledger::Store& store, ledger::Writer& writer,
                                                    uv_loop_t* loop);
  // The timer must be closed (Close() and a loop turn) or never started.
  ~AuditService();
  AuditService(const AuditService&) = delete;
  AuditService& operator=(const AuditService&) = delete;

  ledger::AuditLog& log() { return *log_; }

  // Main loop thread: stops the digest timer (shutdown). Idempotent.
  void Close();
  // After the workers exited and before the writer stops: a digest of every record not yet
  // signed, so that a clean stop leaves the whole log signed.
  void SubmitFinalDigest();

 private:
  AuditService(ledger::Writer& writer, std::unique_ptr<ledger::AuditLog> log);

  ledger::Writer& writer_;
  std::unique_ptr<ledger::AuditLog> log_;
  uv_timer_t timer_{};
  bool started_ = false;
  bool closing_ = false;
};

}  // namespace edge::runtime
